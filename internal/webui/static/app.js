// ipsmdr: the small script the server's and the collector's pages share.
// No build step and no libraries: DOM helpers, the fetch wrapper, time and
// number formatting, and the inline SVG charts. Everything hangs off
// window.ipsmdr. Values from the API only ever reach the page through
// textContent and setAttribute, never as HTML.
"use strict";
(function () {
  const U = {};
  window.ipsmdr = U;

  // ---------------------------------------------------------------- DOM

  U.$ = (sel, root) => (root || document).querySelector(sel);
  U.$$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function build(node, attrs, kids) {
    if (attrs) {
      for (const k in attrs) {
        const v = attrs[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === "text") { if (v !== "") node.textContent = v; }
        else if (k === "class") node.setAttribute("class", v);
        else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      }
    }
    add(node, kids);
    return node;
  }
  function add(node, kids) {
    for (const kid of kids) {
      if (kid === undefined || kid === null || kid === false) continue;
      if (Array.isArray(kid)) add(node, kid);
      else node.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
    }
  }
  // el("td", {class: "num"}, "12") makes an element; attrs may be omitted.
  U.el = function (tag, attrs, ...kids) {
    if (attrs instanceof Node || typeof attrs !== "object" || Array.isArray(attrs)) { kids.unshift(attrs); attrs = null; }
    return build(document.createElement(tag), attrs, kids);
  };
  const SVGNS = "http://www.w3.org/2000/svg";
  U.svg = function (tag, attrs, ...kids) {
    if (attrs instanceof Node || typeof attrs !== "object" || Array.isArray(attrs)) { kids.unshift(attrs); attrs = null; }
    return build(document.createElementNS(SVGNS, tag), attrs, kids);
  };
  U.clear = (node) => { while (node.firstChild) node.firstChild.remove(); return node; };
  U.debounce = function (fn, ms) {
    let t = 0;
    return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  };

  // Shows text in a message element with a kind: ok, warn, err or info.
  U.say = function (node, kind, text) {
    if (!node) return;
    node.className = "msg " + (text ? kind : "");
    node.textContent = text || "";
  };

  // The connection dot in the top bar (#conn): state ok, warn or err.
  U.setConn = function (state, text) {
    const c = document.getElementById("conn");
    if (!c) return;
    U.clear(c).append(U.el("span", { class: "dot " + state, "aria-hidden": "true" }), U.el("span", { text }));
  };

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, message, field, path) {
      super(message);
      this.status = status;
      this.field = field || "";
      this.path = path;
    }
  }
  U.ApiError = ApiError;

  const api = {
    // tokenKey names the sessionStorage entry of a bearer token sent with
    // every request (the collector's --http-token); null sends none.
    tokenKey: null,
    // onUnauthorized(error) is called on a 401 before the error is thrown.
    onUnauthorized: null,
    token() {
      try { return this.tokenKey ? sessionStorage.getItem(this.tokenKey) || "" : ""; } catch (e) { return ""; }
    },
    headers(extra) {
      const h = Object.assign({ Accept: "application/json" }, extra || {});
      const t = this.token();
      if (t) h.Authorization = "Bearer " + t;
      return h;
    },
    // request returns {status, data}; it throws ApiError for any status
    // that is not 2xx, with the API's own message and field when it sent
    // them.
    async request(method, path, body, headers, signal) {
      let resp;
      try {
        resp = await fetch(path, {
          method, signal, credentials: "same-origin", cache: "no-store",
          headers: this.headers(Object.assign(body !== undefined ? { "Content-Type": "application/json" } : {}, headers || {})),
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      } catch (e) {
        if (e.name === "AbortError") throw e;
        throw new ApiError(0, "Cannot reach the server (" + (e.message || e) + "). Is it running?", "", path);
      }
      let data = null;
      const ct = resp.headers.get("Content-Type") || "";
      if (ct.includes("json")) {
        try { data = await resp.json(); } catch (e) { data = null; }
      }
      if (resp.ok) return { status: resp.status, data };
      let msg = data && data.error ? data.error : "";
      const bare = path.split("?")[0];
      if (!msg && resp.status === 404) msg = "This server has no " + bare + " (404): it may be an older version.";
      if (!msg && resp.status === 405) msg = "This server does not take " + method + " " + bare + " (405): it may be an older version.";
      if (!msg) msg = method + " " + bare + " failed: " + resp.status + " " + resp.statusText;
      const err = new ApiError(resp.status, msg, data && data.field, path);
      if (resp.status === 401 && this.onUnauthorized) this.onUnauthorized(err);
      throw err;
    },
    async get(path, signal) { return (await this.request("GET", path, undefined, undefined, signal)).data; },
  };
  U.api = api;

  // Query string from an object, leaving out empty values.
  U.query = function (params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    }
    const s = q.toString();
    return s ? "?" + s : "";
  };

  // Downloads url as a file, sending the bearer token if there is one; a
  // plain link does when there is none.
  U.download = async function (url, filename) {
    const resp = await fetch(url, { headers: api.headers({ Accept: "text/csv" }), credentials: "same-origin" });
    if (!resp.ok) {
      let msg = resp.status + " " + resp.statusText;
      try { msg = (await resp.json()).error || msg; } catch (e) { /* not JSON */ }
      throw new ApiError(resp.status, msg, "", url);
    }
    const href = URL.createObjectURL(await resp.blob());
    const a = U.el("a", { href, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10000);
  };

  // The collector's API may need a bearer token (--http-token). On a 401
  // the page shows a form asking for it, keeps it for the browser tab
  // (sessionStorage) and runs retry.
  U.useBearerToken = function (key, retry) {
    api.tokenKey = key;
    api.onUnauthorized = () => {
      if (document.getElementById("token-gate")) return;
      const input = U.el("input", { id: "token-input", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
      const wrong = api.token() !== "";
      const form = U.el("form", { id: "token-gate", class: "card", "aria-labelledby": "token-title" },
        U.el("h2", { id: "token-title", text: "This collector needs its API token" }),
        U.el("p", { class: "muted", text: wrong
          ? "The token given was refused. Enter the collector's token (--http-token or IPSMDR_COLLECT_TOKEN)."
          : "The collector was started with --http-token. Enter that token to see the calls; it is kept for this browser tab only." }),
        U.el("div", { class: "field" }, U.el("label", { for: "token-input", text: "API token" }), input),
        U.el("div", { class: "actions", style: "margin-top:.75rem" }, U.el("button", { type: "submit", class: "btn-primary", text: "Use this token" })));
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        try { sessionStorage.setItem(key, input.value.trim()); } catch (e) { /* private mode */ }
        form.remove();
        if (retry) retry(); else location.reload();
      });
      const main = document.querySelector("main");
      main.prepend(form);
      input.focus();
    };
  };

  // Runs fn now and then every ms milliseconds after it settles, less
  // often while the tab is hidden. Returns {now(), stop()}.
  U.poll = function (fn, ms) {
    let timer = 0, stopped = false, running = false;
    async function tick() {
      clearTimeout(timer);
      if (stopped || running) return;
      running = true;
      try { await fn(); } catch (e) { /* fn shows its own errors */ }
      running = false;
      if (!stopped) timer = setTimeout(tick, document.hidden ? Math.max(ms, 10000) : ms);
    }
    document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
    tick();
    return { now: tick, stop() { stopped = true; clearTimeout(timer); } };
  };

  // ---------------------------------------------------------- formatting

  const nf = new Intl.NumberFormat(undefined);
  const nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const pad = (n) => String(n).padStart(2, "0");
  const fmt = {
    int: (n) => (n === undefined || n === null || n === "" ? "–" : nf.format(n)),
    dec: (n) => (n === undefined || n === null ? "–" : nf1.format(n)),
    pct: (part, whole) => (whole ? nf1.format((100 * part) / whole) + "%" : "–"),
    // A running clock: 0:07, 12:03, 1:02:03.
    clock(sec) {
      sec = Math.max(0, Math.floor(sec || 0));
      const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
      return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
    },
    // A duration in words: 45 s, 2 min 05 s, 1 h 02 min.
    // A short duration for tiles: 16 s, 3m 37s, 1h 02m.
    short(sec) {
      if (sec === undefined || sec === null) return "–";
      sec = Math.round(sec);
      if (sec < 60) return sec + " s";
      const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
      return h ? h + "h " + pad(m) + "m" : m + "m " + pad(s) + "s";
    },
    dur(sec) {
      if (sec === undefined || sec === null) return "–";
      sec = Math.round(sec);
      if (sec < 60) return sec + " s";
      const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
      return h ? h + " h " + pad(m) + " min" : m + " min " + pad(s) + " s";
    },
    bytes(n) {
      if (n === undefined || n === null) return "–";
      const u = ["B", "kB", "MB", "GB", "TB"];
      let i = 0;
      while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
      return (i ? nf1.format(n) : n) + " " + u[i];
    },
    date(t) { const d = toDate(t); return d ? d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) : "–"; },
    time(t) { const d = toDate(t); return d ? pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) : "–"; },
    datetime(t) { const d = toDate(t); return d ? fmt.date(d) + " " + fmt.time(d) : "–"; },
    // Today's times show as the time alone.
    when(t) {
      const d = toDate(t);
      if (!d) return "–";
      return fmt.date(d) === fmt.date(new Date()) ? fmt.time(d) : fmt.datetime(d);
    },
    ago(t) {
      const d = toDate(t);
      if (!d) return "–";
      const s = Math.round((Date.now() - d.getTime()) / 1000);
      if (s < 5) return "just now";
      if (s < 90) return s + " s ago";
      if (s < 5400) return Math.round(s / 60) + " min ago";
      if (s < 172800) return Math.round(s / 3600) + " h ago";
      return Math.round(s / 86400) + " days ago";
    },
    dir: (d) => (String(d || "").toUpperCase() === "OUT" ? "out" : String(d || "").toUpperCase() === "IN" ? "in" : ""),
  };
  function toDate(t) {
    if (!t) return null;
    const d = t instanceof Date ? t : new Date(t);
    return isNaN(d) || d.getFullYear() < 1971 ? null : d;
  }
  U.fmt = fmt;
  U.toDate = toDate;
  // A local date as YYYY-MM-DD, for date inputs and the API's from and to.
  U.isoDate = (d) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());

  U.badge = (cls, text, label) => U.el("span", { class: "badge " + cls, text, "aria-label": label || undefined });

  // ------------------------------------------------------------- charts
  //
  // Each chart is a <figure class="chart"> with a caption, an
  // <svg data-chart="ID" role="img"> sized to its box and redrawn when the
  // box changes width, a legend, and a <details> holding the numbers as a
  // table. Bars are <rect>s and nothing else in the SVG is: a chart of n
  // bars has n rects (times the series, for stacked bars), a heat map one
  // per cell.

  const charts = new Set();
  const ro = typeof ResizeObserver === "function" ? new ResizeObserver((entries) => {
    for (const e of entries) {
      const c = e.target.__chart;
      if (c && Math.abs(e.contentRect.width - c.width) > 4) c.draw();
    }
  }) : null;

  // niceMax returns a round top for an axis and its tick step.
  function niceScale(max, ticks) {
    if (!(max > 0)) return { top: 1, step: 1 };
    const raw = max / (ticks || 4);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    let step = mag;
    for (const m of [1, 2, 2.5, 5, 10]) { if (m * mag >= raw) { step = m * mag; break; } }
    if (step < 1) step = 1;
    return { top: Math.ceil(max / step) * step, step };
  }

  // textWidth estimates the width in pixels of text at 11px.
  const textWidth = (s) => String(s).length * 6.3 + 4;

  U.chart = {};

  // figure(spec) returns the figure element for spec:
  //   id        data-chart of the svg ("by-hour")
  //   title     caption and accessible name
  //   subtitle  small text beside the caption
  //   kind      "bars" (vertical), "hbars" (horizontal) or "heatmap"
  //   labels    the bars' labels (bars, hbars)
  //   series    [{key, label, cls, values}]: one, or several stacked
  //   xLabel, yLabel  axis titles
  //   rows, cols, values  the heat map's row and column labels and
  //             values[row][col]
  //   height    of a vertical chart, in pixels
  //   fmt       formats a value (default: whole number)
  //   tableHead the data table's header (default: label and the series)
  //   empty     text shown when every value is 0
  U.chart.figure = function (spec) {
    const titleId = "chart-" + spec.id + "-title";
    const box = U.el("div", { class: "chart-box" });
    const fig = U.el("figure", { class: "chart", "data-chart-figure": spec.id },
      U.el("figcaption", { id: titleId }, spec.title, spec.subtitle ? U.el("small", { text: spec.subtitle }) : null),
      box);
    const series = spec.series || [];
    if (series.length > 1) {
      fig.append(U.el("ul", { class: "legend", "aria-hidden": "true" },
        series.map((s) => U.el("li", {}, U.el("i", { class: s.cls }), s.label))));
    }
    if (spec.kind === "heatmap") {
      fig.append(U.el("p", { class: "legend", "aria-hidden": "true" }, "Fewer ",
        U.el("span", { style: "display:inline-block;width:7rem;height:.7rem;border-radius:3px;background:linear-gradient(90deg,color-mix(in srgb,var(--bar) 10%,transparent),var(--bar))" }), " More"));
    }
    fig.append(dataTable(spec));
    const c = { width: 0, draw() { c.width = box.clientWidth; drawInto(box, spec, titleId); } };
    box.__chart = c;
    charts.add(c);
    if (ro) ro.observe(box);
    // Drawn once in the document, where the box has a width.
    requestAnimationFrame(() => { if (!c.width) c.draw(); });
    fig.redraw = () => c.draw();
    return fig;
  };

  function valuesOf(spec) {
    if (spec.kind === "heatmap") return (spec.values || []).flat();
    return (spec.series || []).flatMap((s) => s.values);
  }

  function dataTable(spec) {
    const f = spec.fmt || fmt.int;
    let head, rows;
    if (spec.kind === "heatmap") {
      head = [spec.cornerLabel || ""].concat(spec.cols);
      rows = spec.rows.map((r, i) => [r].concat(spec.values[i].map(f)));
    } else {
      const series = spec.series || [];
      head = spec.tableHead || [spec.xLabel || ""].concat(series.map((s) => s.label));
      rows = (spec.tableLabels || spec.labels || []).map((l, i) => [l].concat(series.map((s) => f(s.values[i]))));
      if (series.length > 1 && !spec.tableHead) {
        head.push("Total");
        rows.forEach((r, i) => r.push(f(series.reduce((a, s) => a + (s.values[i] || 0), 0))));
      }
    }
    return U.el("details", { class: "data-table" },
      U.el("summary", { text: "Show the numbers" }),
      U.el("div", { class: "table-wrap" },
        U.el("table", { class: "data compact", "data-chart-table": spec.id },
          U.el("caption", { class: "visually-hidden", text: spec.title }),
          U.el("thead", {}, U.el("tr", {}, head.map((h, i) => U.el("th", { scope: "col", class: i ? "num" : "", text: h })))),
          U.el("tbody", {}, rows.map((r) => U.el("tr", {}, r.map((v, i) => i ? U.el("td", { class: "num", text: v }) : U.el("th", { scope: "row", text: v }))))))));
  }

  function drawInto(box, spec, titleId) {
    U.clear(box);
    const width = Math.max(260, Math.floor(box.clientWidth || 600));
    const vals = valuesOf(spec);
    const total = vals.reduce((a, b) => a + (b || 0), 0);
    let svg;
    if (spec.kind === "heatmap") svg = heatmap(spec, width);
    else if (spec.kind === "hbars") svg = hbars(spec, width);
    else svg = vbars(spec, width);
    svg.setAttribute("data-chart", spec.id);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", titleId);
    svg.setAttribute("aria-describedby", titleId + "-desc");
    svg.prepend(U.svg("title", { text: spec.title }),
      U.svg("desc", { id: titleId + "-desc", text: describe(spec, total) }));
    box.append(svg);
    box.classList.toggle("is-empty", !total);
    if (!total && spec.empty !== false) {
      box.append(U.el("p", { class: "chart-empty", text: spec.empty || "No calls in this range." }));
    }
  }

  // describe summarises a chart for screen readers.
  function describe(spec, total) {
    const f = spec.fmt || fmt.int;
    if (!total) return spec.title + ": no data.";
    if (spec.kind === "heatmap") {
      let best = [0, 0, -1];
      spec.values.forEach((row, r) => row.forEach((v, c) => { if (v > best[2]) best = [r, c, v]; }));
      return spec.title + ": busiest " + spec.rows[best[0]] + " " + spec.cols[best[1]] + " with " + f(best[2]) + ". The numbers are in the table below.";
    }
    const sums = spec.labels.map((_, i) => spec.series.reduce((a, s) => a + (s.values[i] || 0), 0));
    let bi = 0;
    sums.forEach((v, i) => { if (v > sums[bi]) bi = i; });
    return spec.title + ": " + spec.labels.length + " bars, highest " + spec.labels[bi] + " with " + f(sums[bi]) + ". The numbers are in the table below.";
  }

  // Vertical bars, stacked when there are several series.
  function vbars(spec, width) {
    const labels = spec.labels || [], series = spec.series || [], f = spec.fmt || fmt.int;
    const n = Math.max(1, labels.length);
    const sums = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
    const { top, step } = niceScale(Math.max(0, ...sums), 4);
    const left = Math.max(36, textWidth(f(top)) + 14) + (spec.yLabel ? 16 : 0);
    const right = 8, topPad = 16, bottom = 24 + (spec.xLabel ? 18 : 0);
    const height = spec.height || 220;
    const pw = width - left - right, ph = height - topPad - bottom;
    const band = pw / n, bw = Math.min(56, Math.max(1, band * (n > 40 ? 0.9 : 0.72)));
    const y = (v) => topPad + ph - (v / top) * ph;
    const svg = U.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    const grid = U.svg("g", { class: "grid" });
    const axis = U.svg("g", { class: "axis" });
    for (let v = 0; v <= top + 1e-9; v += step) {
      grid.append(U.svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v) }));
      axis.append(U.svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", text: f(v) }));
    }
    axis.append(U.svg("line", { x1: left, x2: width - right, y1: topPad + ph, y2: topPad + ph }));
    // Label every k-th bar so that labels do not overlap.
    const lw = Math.max(...labels.map((l) => textWidth(l)), 10);
    const k = Math.max(1, Math.ceil(lw / band));
    labels.forEach((l, i) => {
      if (i % k) return;
      axis.append(U.svg("text", { x: left + band * i + band / 2, y: topPad + ph + 15, "text-anchor": "middle", text: l }));
    });
    if (spec.yLabel) axis.append(U.svg("text", { class: "axis-label", transform: `translate(12 ${topPad + ph / 2}) rotate(-90)`, "text-anchor": "middle", text: spec.yLabel }));
    if (spec.xLabel) axis.append(U.svg("text", { class: "axis-label", x: left + pw / 2, y: height - 3, "text-anchor": "middle", text: spec.xLabel }));
    svg.append(grid, axis);
    const bars = U.svg("g", { class: "bars" });
    labels.forEach((l, i) => {
      const x = left + band * i + (band - bw) / 2;
      let acc = 0;
      const g = series.length > 1 ? U.svg("g", { class: "bar", "data-label": l, "data-value": sums[i] }) : null;
      let one = null;
      for (const s of series) {
        const v = s.values[i] || 0;
        const r = U.svg("rect", {
          class: series.length > 1 ? s.cls : "bar " + (s.cls || ""), x: x.toFixed(1), y: y(acc + v).toFixed(1), width: bw.toFixed(1),
          height: Math.max(0, y(acc) - y(acc + v)).toFixed(1), rx: bw > 8 ? 2 : 0, "data-label": l, "data-value": v, "data-series": s.key,
        }, U.svg("title", { text: l + (series.length > 1 ? " · " + s.label : "") + ": " + f(v) }));
        if (g) g.append(r); else one = r;
        acc += v;
      }
      bars.append(linked(spec, i, g || one, l + ": " + f(sums[i])));
      if (band >= 24 && sums[i] > 0 && n <= 40) {
        bars.append(U.svg("text", { class: "val", x: x + bw / 2, y: y(sums[i]) - 4, "text-anchor": "middle", text: f(sums[i]) }));
      }
    });
    svg.append(bars);
    return svg;
  }

  // linked wraps a bar in a link when the chart has spec.link(i).
  function linked(spec, i, node, label) {
    const href = spec.link ? spec.link(i) : "";
    if (!href) return node;
    return U.svg("a", { href, "aria-label": label + " (show these calls)" }, node);
  }

  // Horizontal bars, one row per label, stacked when there are several
  // series; the value at the end of each bar.
  function hbars(spec, width) {
    const f = spec.fmt || fmt.int;
    const lim = spec.limit || Infinity;
    const labels = (spec.labels || []).slice(0, lim);
    const series = (spec.series || []).map((s) => Object.assign({}, s, { values: s.values.slice(0, lim) }));
    const sums = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
    const max = Math.max(0, ...sums) || 1;
    const row = 24, topPad = 4, bottom = spec.xLabel ? 22 : 6;
    const left = Math.min(Math.max(60, Math.max(...labels.map((l) => textWidth(l)), 0) + 10), Math.floor(width * 0.4));
    const right = textWidth(f(max)) + 12;
    const height = topPad + Math.max(1, labels.length) * row + bottom;
    const pw = Math.max(20, width - left - right);
    const svg = U.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    const axis = U.svg("g", { class: "axis" });
    axis.append(U.svg("line", { x1: left, x2: left, y1: topPad, y2: topPad + labels.length * row }));
    if (spec.xLabel && labels.length) axis.append(U.svg("text", { class: "axis-label", x: left + pw / 2, y: height - 4, "text-anchor": "middle", text: spec.xLabel }));
    svg.append(axis);
    const bars = U.svg("g", { class: "bars" });
    labels.forEach((l, i) => {
      const yy = topPad + i * row;
      let name = String(l);
      const maxChars = Math.floor((left - 10) / 6.3);
      if (name.length > maxChars) name = name.slice(0, Math.max(1, maxChars - 1)) + "…";
      axis.append(U.svg("text", { x: left - 6, y: yy + row / 2 + 4, "text-anchor": "end", text: name }, U.svg("title", { text: l })));
      let acc = 0;
      const g = series.length > 1 ? U.svg("g", { class: "bar", "data-label": l, "data-value": sums[i] }) : null;
      let one = null;
      for (const s of series) {
        const v = s.values[i] || 0;
        const w = (v / max) * pw;
        const r = U.svg("rect", {
          class: series.length > 1 ? s.cls : "bar " + (s.cls || ""), x: (left + acc).toFixed(1), y: yy + 4, width: Math.max(0, w).toFixed(1),
          height: row - 8, rx: 2, "data-label": l, "data-value": v, "data-series": s.key,
        }, U.svg("title", { text: l + (series.length > 1 ? " · " + s.label : "") + ": " + f(v) }));
        if (g) g.append(r); else one = r;
        acc += w;
      }
      bars.append(linked(spec, i, g || one, l + ": " + f(sums[i])));
      bars.append(U.svg("text", { class: "val", x: left + acc + 5, y: yy + row / 2 + 4, text: f(sums[i]) }));
    });
    svg.append(bars);
    return svg;
  }

  // A heat map: rows by columns of cells, darker for more.
  function heatmap(spec, width) {
    const rows = spec.rows, cols = spec.cols, f = spec.fmt || fmt.int;
    const left = Math.max(...rows.map((r) => textWidth(r))) + 8, topPad = 4, bottom = 20 + (spec.xLabel ? 18 : 0), right = 4;
    const cw = (width - left - right) / cols.length;
    const ch = Math.max(16, Math.min(30, cw * 0.9));
    const height = topPad + rows.length * ch + bottom;
    // Shades run from the quietest cell with calls to the busiest, so
    // that an evenly busy week still shows its peaks.
    const nz = spec.values.flat().filter((v) => v > 0);
    const max = Math.max(1, ...nz), min = nz.length ? Math.min(...nz) : 0;
    const shade = (v) => (max > min ? 0.15 + 0.85 * ((v - min) / (max - min)) : 0.6);
    const svg = U.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    const axis = U.svg("g", { class: "axis" });
    rows.forEach((r, i) => axis.append(U.svg("text", { x: left - 6, y: topPad + i * ch + ch / 2 + 4, "text-anchor": "end", text: r })));
    const k = Math.max(1, Math.ceil(22 / cw));
    cols.forEach((c, j) => {
      if (j % k) return;
      axis.append(U.svg("text", { x: left + j * cw + cw / 2, y: topPad + rows.length * ch + 14, "text-anchor": "middle", text: c }));
    });
    if (spec.xLabel) axis.append(U.svg("text", { class: "axis-label", x: left + (width - left) / 2, y: height - 3, "text-anchor": "middle", text: spec.xLabel }));
    svg.append(axis);
    const cells = U.svg("g", { class: "cells" });
    rows.forEach((r, i) => cols.forEach((c, j) => {
      const v = spec.values[i][j] || 0;
      const op = v ? shade(v) : 1;
      cells.append(U.svg("rect", {
        class: "cell", x: (left + j * cw + 1).toFixed(1), y: (topPad + i * ch + 1).toFixed(1), width: Math.max(1, cw - 2).toFixed(1),
        height: ch - 2, rx: 2, fill: v ? "var(--bar)" : "var(--grid)", "fill-opacity": op.toFixed(3),
        "data-row": r, "data-col": c, "data-value": v,
      }, U.svg("title", { text: r + " " + c + ": " + f(v) })));
      if (v && cw >= 26) {
        cells.append(U.svg("text", { class: "val", x: left + j * cw + cw / 2, y: topPad + i * ch + ch / 2 + 4, "text-anchor": "middle",
          fill: op > 0.55 ? "#fff" : undefined, style: op > 0.55 ? "fill:#fff" : undefined, text: f(v) }));
      }
    }));
    svg.append(cells);
    return svg;
  }
})();
