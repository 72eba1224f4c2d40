// The call page: a call's figures, a timeline bar of its states, and its
// records in order with the time between them. A call in progress is
// read again every 2 seconds.
"use strict";
(function () {
  const U = window.ipsmdr, C = window.collect;
  const { el, fmt, api } = U;
  const byId = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.replace(/^\/calls\//, "").replace(/\/$/, ""));
  const site = new URLSearchParams(location.search).get("site");

  // What each event does to the call's state; CALLMODIFIED changes none.
  const stateOf = {
    RINGING: "ringing", DIVERTED: "ringing", TRANSFERRED: "ringing",
    ANSWERED: "connected", CONNECTED: "connected", CALLCONNECTED: "connected",
    HOLD: "hold", QUEUED: "queued", DISCONNECTED: "ended",
  };
  const ms = (t) => { const d = U.toDate(t); return d ? d.getTime() : 0; };

  // segments turns the records into [{state, ext, from, to}] in ms.
  function segments(call, recs, endMs) {
    const out = [];
    let cur = null;
    for (const r of recs) {
      const ev = String(r.event || "").trim().toUpperCase();
      const s = stateOf[ev];
      if (!s) continue;
      const t = ms(r.time);
      if (cur && (cur.state !== s || cur.ext !== r.extension || ev === "TRANSFERRED" || ev === "DIVERTED")) {
        cur.to = t;
        if (cur.to >= cur.from) out.push(cur);
        cur = null;
      }
      if (s === "ended") break;
      if (!cur) cur = { state: s, ext: r.extension, from: t, to: t };
    }
    if (cur) { cur.to = Math.max(cur.from, endMs); out.push(cur); }
    return out;
  }

  // What a record means, in words.
  function what(r, prev) {
    const ev = String(r.event || "").trim().toUpperCase(), x = r.extension, src = r.source_extension;
    switch (ev) {
      case "RINGING": return "Rang at " + x + (src ? " (from " + src + ")" : "");
      case "ANSWERED": return "Answered at " + x;
      case "CONNECTED": case "CALLCONNECTED":
        return prev === "hold" ? "Taken off hold at " + x : "Connected at " + x;
      case "HOLD": return "Put on hold at " + x;
      case "DIVERTED": return "Diverted" + (src ? " from " + src : "") + " to " + x;
      case "TRANSFERRED": return "Transferred" + (src ? " by " + src : "") + " to " + x;
      case "QUEUED": return "Queued at " + x;
      case "CALLMODIFIED": return "Caller ID, name or account code changed";
      case "DISCONNECTED": return "Call ended";
    }
    return ev;
  }

  function timeline(call, recs, endMs) {
    const box = byId("timeline");
    const segs = segments(call, recs, endMs);
    const t0 = Math.min(ms(call.start) || Infinity, ...recs.map((r) => ms(r.time)));
    const t1 = Math.max(endMs, t0 + 1000);
    const total = (t1 - t0) / 1000;
    const W = Math.max(280, box.clientWidth || 800), pad = 10, lane = 34, top = 8;
    const H = top + lane + 40;
    const x = (t) => pad + ((t - t0) / (t1 - t0)) * (W - 2 * pad);
    const svg = U.svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-chart": "timeline", role: "img", "aria-labelledby": "timeline-title", "aria-describedby": "timeline-desc" });
    const desc = segs.map((s) => (C.stateLabel[s.state] || s.state) + " at " + s.ext + " for " + fmt.dur((s.to - s.from) / 1000)).join(", then ");
    svg.append(U.svg("title", { text: "Timeline of the call" }), U.svg("desc", { id: "timeline-desc", text: desc || "No states recorded." }));
    // The lane's background: the whole call.
    svg.append(U.svg("line", { x1: pad, x2: W - pad, y1: top + lane / 2, y2: top + lane / 2, stroke: "var(--grid)", "stroke-width": lane, "stroke-linecap": "butt" }));
    const g = U.svg("g", { class: "segments" });
    for (const s of segs) {
      const x0 = x(s.from), w = Math.max(2, x(s.to) - x0);
      const label = (C.stateLabel[s.state] || s.state) + " · " + s.ext + " · " + fmt.clock((s.to - s.from) / 1000);
      g.append(U.svg("rect", { class: "s-" + s.state, x: x0.toFixed(1), y: top, width: w.toFixed(1), height: lane, "data-state": s.state, "data-extension": s.ext },
        U.svg("title", { text: label + " (" + fmt.time(s.from) + "–" + fmt.time(s.to) + ")" })));
      const text = w > 110 ? label : w > 44 ? s.ext : "";
      if (text) g.append(U.svg("text", { class: "tl-lbl", x: x0 + 6, y: top + lane / 2 + 4, text }));
    }
    svg.append(g);
    // A tick for each record, and the time axis.
    const ticks = U.svg("g", { class: "axis" });
    for (const r of recs) {
      const xx = x(ms(r.time));
      ticks.append(U.svg("line", { class: "tl-tick", x1: xx, x2: xx, y1: top + lane + 2, y2: top + lane + 9 },
        U.svg("title", { text: fmt.time(r.time) + " " + String(r.event).trim() + " " + (r.extension || "") })));
    }
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];
    const maxTicks = Math.max(2, Math.floor((W - 2 * pad) / 70));
    const step = steps.find((s) => total / s <= maxTicks) || 86400;
    for (let s = 0; s <= total + 1e-6; s += step) {
      ticks.append(U.svg("text", { x: x(t0 + s * 1000), y: H - 6, "text-anchor": s === 0 ? "start" : "middle", text: fmt.clock(s) }));
    }
    svg.append(ticks);
    U.clear(box).append(svg);
    byId("timeline-sub").textContent = fmt.time(t0) + " – " + (call.end ? fmt.time(call.end) : "now") + " · " + fmt.dur(total);
  }

  function records(call, recs) {
    const tbody = byId("records").tBodies[0];
    U.clear(tbody);
    const t0 = Math.min(ms(call.start) || Infinity, ...recs.map((r) => ms(r.time)));
    let prevT = 0, prevState = "";
    recs.forEach((r, i) => {
      const t = ms(r.time);
      const ev = String(r.event || "").trim();
      const notes = (r.warnings || []).join("; ");
      tbody.append(el("tr", { "data-seq": r.seq, "data-event": ev },
        el("td", { class: "num", text: i + 1 }),
        el("td", { text: fmt.time(r.time), title: fmt.datetime(r.time) + (r.seq ? " · source seq " + r.seq : "") }),
        el("td", { class: "num delta", text: i ? "+" + fmt.clock((t - prevT) / 1000) : "" }),
        el("td", { class: "num", text: fmt.clock((t - t0) / 1000) }),
        el("td", {}, el("span", { class: "badge plain ev-" + ev.toLowerCase(), text: ev })),
        el("td", { class: "wrap" }, what(r, prevState), notes ? el("div", { class: "warning", text: "Note: " + notes }) : null),
        el("td", { text: r.extension || "" }),
        el("td", { text: r.source_extension || "" })));
      tbody.append(el("tr", { class: "raw-line" }, el("td", { colspan: 8, text: r.line })));
      prevT = t;
      if (stateOf[ev.toUpperCase()]) prevState = stateOf[ev.toUpperCase()];
    });
    if (!recs.length) tbody.append(el("tr", {}, el("td", { colspan: 8, class: "empty", text: "No records." })));
    byId("records-count").textContent = "· " + recs.length;
  }

  function facts(call) {
    const dl = U.clear(byId("call-facts"));
    const add = (k, v) => { if (v !== "" && v !== null && v !== undefined) dl.append(el("dt", { text: k }), el("dd", { text: v })); };
    add("Call ID", call.call_id);
    add("Site", call.site);
    add("Direction", fmt.dir(call.direction) === "in" ? "Inbound" : "Outbound");
    add("Trunk", call.trunk);
    add(fmt.dir(call.direction) === "in" ? "Caller" : "Number dialled", call.number || "(withheld)");
    add("Name", call.name);
    add("DDI", call.ddi ? call.ddi + (call.ddi_name ? " (" + call.ddi_name + ")" : "") : "");
    add("Account code", call.account_code);
    add("Started", fmt.datetime(call.start));
    add("Answered", call.answered_at ? fmt.time(call.answered_at) + " at " + (call.answered_by || "?") : "no");
    add("Ended", call.end ? fmt.time(call.end) + (call.closed_by === "timeout" ? " (closed after a timeout: no DISCONNECTED record)" : "") : "in progress");
    add("Extensions", (call.extensions || []).join(" → "));
    add("Final extension", call.final_extension);
    add("Transfers", fmt.int(call.transfers));
    add("Diversions", fmt.int(call.diversions));
  }

  let timer = 0;
  async function load() {
    try {
      const call = await api.get("/api/v1/calls/" + encodeURIComponent(id) + U.query({ site }));
      const recs = call.records || [];
      const open = !call.end;
      const latest = Math.max(...recs.map((r) => ms(r.time)), ms(call.last_event));
      const endMs = call.end ? ms(call.end) : Math.max(Date.now(), latest);
      const inbound = fmt.dir(call.direction) === "in";
      const party = call.number || "a withheld number";
      document.title = (inbound ? "Call from " : "Call to ") + party + " · ipsmdr collector";
      byId("call-title").textContent = (inbound ? "Inbound call from " : "Outbound call to ") + party + (call.name ? " · " + call.name : "");
      byId("call-sub").textContent = new Date(call.start).toLocaleDateString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" }) +
        " at " + fmt.time(call.start) + (call.ddi_name || call.ddi ? " · line " + (call.ddi_name || call.ddi) : "") + " · trunk " + call.trunk;
      U.clear(byId("call-badges")).append(C.dirBadge(call.direction), C.outcomeBadge(call));
      byId("v-ring").textContent = fmt.clock(call.ring_seconds);
      byId("v-queue").textContent = fmt.clock(call.queue_seconds);
      byId("v-talk").textContent = fmt.clock(call.talk_seconds);
      byId("v-hold").textContent = fmt.clock(call.hold_seconds);
      byId("v-total").textContent = fmt.clock((endMs - ms(call.start)) / 1000);
      byId("v-total-sub").textContent = open ? "still in progress" : "start to end";
      timeline(call, recs, endMs);
      records(call, recs);
      facts(call);
      U.say(byId("error"), "", "");
      clearTimeout(timer);
      if (open) timer = setTimeout(load, 2000);
      window.__call = { call, recs, endMs };
    } catch (e) {
      if (e.status === 401) return;
      byId("call-sub").textContent = "";
      U.say(byId("error"), "err", e.status === 404 ? "No call " + id + " is stored" + (site ? " at site " + site : "") + "." : "Cannot read the call: " + e.message);
    }
  }

  byId("raw").addEventListener("change", (e) => byId("records").classList.toggle("show-raw", e.target.checked));
  // Back to the list the user came from, filters and page included.
  if (document.referrer && new URL(document.referrer).origin === location.origin) {
    const ref = new URL(document.referrer);
    if (ref.pathname === "/history" || ref.pathname === "/") {
      const back = byId("back");
      back.textContent = ref.pathname === "/" ? "← Live calls" : "← Call history";
      back.addEventListener("click", (ev) => { ev.preventDefault(); history.back(); });
      back.href = ref.pathname + ref.search;
    }
  }
  window.addEventListener("resize", U.debounce(() => { if (window.__call) timeline(window.__call.call, window.__call.recs, window.__call.endMs); }, 150));
  load();
})();
