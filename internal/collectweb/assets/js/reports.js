// The reports page: one GET /api/v1/reports per range, drawn as inline SVG
// charts with their numbers in tables beneath.
"use strict";
(function () {
  const U = window.ipsmdr;
  const { el, fmt, api } = U;
  const byId = (id) => document.getElementById(id);
  const form = byId("report-form");
  const PRESETS = { today: 0, "7d": 6, "30d": 29 };
  const OUTCOMES = [
    { key: "answered", label: "Answered", cls: "s-answered" },
    { key: "missed", label: "Missed", cls: "s-missed" },
    { key: "abandoned", label: "Abandoned", cls: "s-abandoned" },
    { key: "unanswered", label: "Unanswered", cls: "s-unanswered" },
    { key: "in_progress", label: "In progress", cls: "s-open" },
  ];
  const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));

  let view = { range: "today", from: "", to: "", direction: "", extension: "" };
  let inflight = null;

  const dayOf = (key) => { const [y, m, d] = key.split("-").map(Number); return new Date(y, m - 1, d); };
  const shortDay = (key) => { const d = dayOf(key); return DAYS[(d.getDay() + 6) % 7] + " " + d.getDate(); };
  const dayMonth = (key) => dayOf(key).toLocaleDateString(undefined, { day: "numeric", month: "short" });

  function presetDates(range) {
    const n = PRESETS[range];
    const to = new Date();
    const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - n);
    return { from: U.isoDate(from), to: U.isoDate(to) };
  }

  function setRange(range) {
    view.range = range;
    for (const b of byId("range").querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    if (range in PRESETS) {
      const d = presetDates(range);
      form.elements.from.value = d.from;
      form.elements.to.value = d.to;
    }
  }

  function readForm() {
    view.from = form.elements.from.value;
    view.to = form.elements.to.value;
    view.direction = form.elements.direction.value;
    view.extension = form.elements.extension.value.trim();
  }

  const filters = () => ({ from: view.from, to: view.to, direction: view.direction, extension: view.extension });
  const historyURL = (extra) => "/history" + U.query(Object.assign(filters(), extra));

  function saveURL() {
    const q = view.range in PRESETS ? { range: view.range } : { from: view.from, to: view.to };
    history.replaceState(null, "", "/reports" + U.query(Object.assign(q, { direction: view.direction, extension: view.extension })));
    byId("export").href = "/api/v1/calls.csv" + U.query(filters());
  }

  const sum = (b) => b.calls || 0;
  const outcomeSeries = (buckets) => OUTCOMES
    .filter((o) => o.key !== "in_progress" || buckets.some((b) => b.in_progress))
    .map((o) => Object.assign({}, o, { values: buckets.map((b) => b[o.key] || 0) }));

  function put(id, fig, note) {
    const box = U.clear(byId(id));
    box.append(fig);
    if (note) box.append(el("p", { class: "hint", text: note }));
  }

  function render(r) {
    const s = r.summary || {};
    const ended = (s.calls || 0) - (s.in_progress || 0);
    byId("s-calls").textContent = fmt.int(s.calls);
    byId("s-calls-sub").textContent = fmt.int(s.inbound) + " in · " + fmt.int(s.outbound) + " out";
    byId("s-answered").textContent = fmt.int(s.answered);
    byId("s-answered-sub").textContent = ended ? fmt.pct(s.answered, ended) + " of ended calls" : "\u00a0";
    byId("s-missed").textContent = fmt.int(s.missed);
    byId("s-missed-sub").textContent = s.inbound ? fmt.pct(s.missed, s.inbound) + " of inbound calls" : "\u00a0";
    byId("s-abandoned").textContent = fmt.int(s.abandoned);
    byId("s-unanswered").textContent = fmt.int(s.unanswered);
    byId("s-ring").textContent = fmt.short(s.avg_ring_seconds);
    byId("s-talk").textContent = fmt.short(s.avg_talk_seconds);
    byId("s-talk-sub").textContent = "total " + fmt.dur(s.total_talk_seconds);

    const from = U.toDate(r.from), to = U.toDate(r.to);
    const zone = r.zone ? " (" + r.zone + ")" : "";
    byId("range-info").textContent = from && to
      ? "From " + fmt.date(from) + " to " + fmt.date(new Date(to.getTime() - 1)) + " inclusive" + ", times in the collector's zone" + zone + "."
      : "No calls in this range.";

    const days = r.by_day || [];
    const multiDay = days.length > 1;

    // Calls per hour: the hours of the range, or for a longer range the
    // hours of the day over all its days.
    const hours = r.by_hour || [];
    if (hours.length) {
      put("c-by-hour", U.chart.figure({
        id: "by-hour", kind: "bars", title: "Calls per hour", subtitle: multiDay ? days.length + " days, hour by hour" : days.length ? dayMonth(days[0].key) : "",
        labels: hours.map((b) => (multiDay ? shortDay(b.key.slice(0, 10)) + " " : "") + b.key.slice(11, 13) + ":00"),
        series: [{ key: "calls", label: "Calls", cls: "", values: hours.map(sum) }], xLabel: "Hour" + zone, yLabel: "Calls", height: 240,
      }));
    } else {
      const totals = HOURS.map((_, h) => (r.busiest_hours || []).reduce((a, row) => a + (row[h] || 0), 0));
      put("c-by-hour", U.chart.figure({
        id: "by-hour", kind: "bars", title: "Calls per hour of the day", subtitle: "all " + days.length + " days together",
        labels: HOURS.map((h) => h + ":00"), series: [{ key: "calls", label: "Calls", cls: "", values: totals }],
        xLabel: "Hour of the day" + zone, yLabel: "Calls", height: 240,
      }));
    }

    put("c-by-day", U.chart.figure({
      id: "by-day", kind: "bars", title: "Calls per day: answered against missed", subtitle: s.calls ? fmt.pct(s.answered, ended) + " answered" : "",
      labels: days.map((b) => (days.length <= 14 ? shortDay(b.key) : dayMonth(b.key))),
      series: outcomeSeries(days), xLabel: "Day", yLabel: "Calls", height: 240,
      link: (i) => historyURL({ from: days[i].key, to: days[i].key }),
    }));

    const exts = r.by_extension || [];
    const TOP = 15;
    put("c-by-extension", U.chart.figure({
      id: "by-extension", kind: "hbars", title: "Calls per extension", subtitle: exts.length > TOP ? "top " + TOP + " of " + exts.length : "",
      labels: exts.map((b) => b.key), series: outcomeSeries(exts), limit: TOP, xLabel: "Calls answered, or missed at the extension",
      link: (i) => historyURL({ extension: exts[i].key }),
      empty: "No extension had calls in this range.",
    }), exts.length > TOP ? "All " + exts.length + " extensions are in the table." : "");

    const ddis = r.by_ddi || [];
    put("c-by-ddi", U.chart.figure({
      id: "by-ddi", kind: "hbars", title: "Inbound calls per DDI", subtitle: ddis.length > TOP ? "top " + TOP + " of " + ddis.length : "",
      labels: ddis.map((b) => b.label || b.key), tableLabels: ddis.map((b) => (b.label ? b.label + " · " + b.key : b.key)), series: outcomeSeries(ddis), limit: TOP, xLabel: "Inbound calls",
      link: (i) => historyURL({ number: ddis[i].key, direction: "in" }),
      empty: "No inbound call with a DDI in this range.",
    }), ddis.length > TOP ? "All " + ddis.length + " DDIs are in the table." : "");

    const ring = r.ring_histogram || [];
    put("c-ring-time", U.chart.figure({
      id: "ring-time", kind: "bars", title: "Ring time", subtitle: "avg " + fmt.dur(s.avg_ring_seconds),
      labels: ring.map((b) => (b.key.endsWith("+") ? b.key.slice(0, -1) + " s +" : b.key.replace("-", "–") + " s")),
      series: outcomeSeries(ring).filter((x) => x.key !== "in_progress"), xLabel: "Seconds ringing before answer or end", yLabel: "Calls", height: 240,
    }));

    const busy = r.busiest_hours || DAYS.map(() => HOURS.map(() => 0));
    put("c-busiest-hours", U.chart.figure({
      id: "busiest-hours", kind: "heatmap", title: "Busiest hours", subtitle: "calls by weekday and hour",
      rows: DAYS, cols: HOURS, values: busy, xLabel: "Hour of the day" + zone, cornerLabel: "Day",
    }));
  }

  async function load() {
    readForm();
    if (view.from && view.to && view.from > view.to) {
      U.say(byId("form-error"), "err", "“To” is before “From”: pick a later date.");
      form.elements.to.setAttribute("aria-invalid", "true");
      return;
    }
    form.elements.to.removeAttribute("aria-invalid");
    U.say(byId("form-error"), "", "");
    saveURL();
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    byId("charts").setAttribute("aria-busy", "true");
    try {
      const r = await api.get("/api/v1/reports" + U.query(filters()), ctl.signal);
      if (inflight !== ctl) return;
      render(r);
      U.say(byId("error"), "", "");
    } catch (e) {
      if (e.name === "AbortError" || e.status === 401) return;
      if (e.status === 400 && e.field && form.elements[e.field]) {
        form.elements[e.field].setAttribute("aria-invalid", "true");
        U.say(byId("form-error"), "err", e.message);
      } else if (e.status === 404) {
        U.say(byId("error"), "warn", "This collector has no reports endpoint (GET /api/v1/reports answered 404): it may be an older version. The history page still works.");
      } else {
        U.say(byId("error"), "err", "Cannot read the report: " + e.message);
      }
    } finally {
      if (inflight === ctl) { inflight = null; byId("charts").removeAttribute("aria-busy"); }
    }
  }

  for (const b of byId("range").querySelectorAll("button")) {
    b.addEventListener("click", () => {
      setRange(b.dataset.range);
      if (b.dataset.range === "custom") form.elements.from.focus();
      else load();
    });
  }
  for (const n of ["from", "to"]) form.elements[n].addEventListener("input", () => setRange("custom"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  byId("export").addEventListener("click", (ev) => {
    if (!api.token()) return;
    ev.preventDefault();
    U.download(byId("export").href, "calls.csv").catch((e) => U.say(byId("error"), "err", "Export failed: " + e.message));
  });

  // Start from the URL: ?range=7d, or ?from=&to= for a custom range.
  const q = new URLSearchParams(location.search);
  form.elements.direction.value = q.get("direction") || "";
  form.elements.extension.value = q.get("extension") || "";
  if (q.get("from") || q.get("to")) {
    setRange("custom");
    form.elements.from.value = q.get("from") || "";
    form.elements.to.value = q.get("to") || "";
  } else {
    setRange(q.get("range") in PRESETS ? q.get("range") : "today");
  }
  load();
})();
