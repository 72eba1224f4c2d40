// The history page: filters, one page of 100 calls at a time through the
// API's keyset cursor (a stack of cursors for Previous), the number of
// calls that match, and the CSV export of the same filters.
"use strict";
(function () {
  const U = window.ipsmdr, C = window.collect;
  const { el, fmt, api } = U;
  const byId = (id) => document.getElementById(id);
  const PAGE = 100;
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const NAMES = ["number", "extension", "from", "to", "direction", "outcome"];
  const form = byId("filters");
  const tbody = byId("calls").tBodies[0];

  // st is the view: the filters, the cursor of the page shown ("" for the
  // first), the cursors of the pages before it, and the next page's.
  let st = { filters: {}, cursor: "", stack: [], next: "" };
  let inflight = null;

  function readForm() {
    const f = {};
    for (const n of NAMES) {
      const v = String(form.elements[n].value || "").trim();
      if (v) f[n] = v;
    }
    return f;
  }
  function writeForm(f) {
    for (const n of NAMES) form.elements[n].value = f[n] || "";
  }
  function fromURL() {
    const q = new URLSearchParams(location.search);
    const f = {};
    for (const n of NAMES) if (q.get(n)) f[n] = q.get(n);
    return f;
  }
  // The API's parameters for the filters: "In progress" is open=true.
  function apiParams(f) {
    const p = Object.assign({}, f);
    if (p.outcome === "open") { delete p.outcome; p.open = "true"; }
    return p;
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function fieldError(field, msg) {
    for (const n of NAMES) form.elements[n].removeAttribute("aria-invalid");
    const input = field && form.elements[field === "open" ? "outcome" : field];
    if (input) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-errormessage", "filter-error"); }
    U.say(byId("filter-error"), "err", msg || "");
  }

  function row(c) {
    const tr = el("tr", { class: "clickable", "data-call-id": c.call_id, "data-outcome": c.outcome || "open" },
      el("td", { title: WEEKDAYS[new Date(c.start).getDay()] },
        el("div", { text: fmt.date(c.start) }), el("div", { class: "cell-sub", text: fmt.time(c.start) })),
      el("td", {}, C.dirBadge(c.direction)),
      C.partyCell(c, true),
      C.ddiCell(c),
      C.extCell(c),
      el("td", {}, C.outcomeBadge(c)),
      el("td", { class: "num", text: fmt.clock(c.ring_seconds) }),
      el("td", { class: "num", text: c.talk_seconds ? fmt.clock(c.talk_seconds) : "–" }),
      el("td", { class: "num hide-sm", text: c.hold_seconds ? fmt.clock(c.hold_seconds) : "–" }),
      el("td", { class: "num hide-sm", text: fmt.int(c.record_count) }));
    tr.addEventListener("click", (ev) => { if (!ev.target.closest("a")) location.href = C.callURL(c); });
    return tr;
  }

  function saveState(push) {
    const url = "/history" + U.query(st.filters);
    const s = { filters: st.filters, cursor: st.cursor, stack: st.stack };
    if (push) history.pushState(s, "", url); else history.replaceState(s, "", url);
  }

  async function load() {
    if (inflight) inflight.abort();
    const ctl = new AbortController();
    inflight = ctl;
    byId("calls").setAttribute("aria-busy", "true");
    byId("prev").disabled = byId("next").disabled = true;
    try {
      const r = await api.get("/api/v1/calls" + U.query(Object.assign(apiParams(st.filters), { limit: PAGE, cursor: st.cursor })), ctl.signal);
      if (inflight !== ctl) return;
      st.next = r.next || "";
      U.clear(tbody);
      const frag = document.createDocumentFragment();
      for (const c of r.calls) frag.append(row(c));
      tbody.append(frag);
      if (!r.calls.length) {
        tbody.append(el("tr", {}, el("td", { colspan: 10, class: "empty",
          text: Object.keys(st.filters).length ? "No call matches these filters." : "No calls stored yet." })));
      }
      const first = st.stack.length * PAGE;
      byId("page-info").textContent = r.calls.length
        ? "Page " + fmt.int(st.stack.length + 1) + " · calls " + fmt.int(first + 1) + "–" + fmt.int(first + r.calls.length)
        : "";
      byId("prev").disabled = !st.stack.length;
      byId("next").disabled = !st.next;
      U.say(byId("error"), "", "");
      fieldError("", "");
    } catch (e) {
      if (e.name === "AbortError" || e.status === 401) return;
      if (e.status === 400 && e.field) {
        fieldError(e.field, e.message);
        if (e.field === "cursor") { st.cursor = ""; st.stack = []; saveState(false); load(); }
      } else {
        U.say(byId("error"), "err", "Cannot read the calls: " + e.message);
      }
      U.clear(tbody).append(el("tr", {}, el("td", { colspan: 10, class: "empty", text: "—" })));
    } finally {
      if (inflight === ctl) { inflight = null; byId("calls").removeAttribute("aria-busy"); }
    }
  }

  // count shows how many calls match, once per change of filters.
  let countFor = null;
  async function count() {
    const f = st.filters;
    if (same(countFor, f)) return;
    countFor = f;
    const info = byId("result-info");
    info.textContent = "Counting…";
    try {
      const s = await api.get("/api/v1/summary" + U.query(apiParams(f)));
      if (!same(countFor, f)) return;
      const n = s.calls;
      info.textContent = fmt.int(n) + " call" + (n === 1 ? "" : "s") + (Object.keys(f).length ? " match" + (n === 1 ? "es" : "") : " stored") +
        (s.in_progress ? " · " + fmt.int(s.in_progress) + " in progress" : "") +
        (n ? " · " + fmt.int(s.answered) + " answered, " + fmt.int(s.missed + s.abandoned) + " missed" : "");
      byId("export").lastChild.textContent = " Export CSV (" + fmt.int(n) + ")";
    } catch (e) {
      info.textContent = "";
      countFor = null;
      byId("export").lastChild.textContent = " Export CSV";
    }
  }

  function updateExport() {
    const a = byId("export");
    a.href = "/api/v1/calls.csv" + U.query(apiParams(st.filters));
    a.setAttribute("title", "Every call that matches the filters on screen, as CSV");
  }

  function apply(filters, push) {
    if (filters.from && filters.to && filters.from > filters.to) {
      fieldError("to", "“To” is before “From”: pick a later date.");
      return;
    }
    st = { filters, cursor: "", stack: [], next: "" };
    saveState(push);
    updateExport();
    load();
    count();
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); apply(readForm(), !same(readForm(), st.filters)); });
  byId("clear").addEventListener("click", () => { writeForm({}); apply({}, true); });
  byId("next").addEventListener("click", () => {
    if (!st.next) return;
    st.stack.push(st.cursor);
    st.cursor = st.next;
    saveState(false);
    load().then(() => byId("calls").scrollIntoView({ block: "start", behavior: "smooth" }));
  });
  byId("prev").addEventListener("click", () => {
    if (!st.stack.length) return;
    st.cursor = st.stack.pop();
    saveState(false);
    load().then(() => byId("calls").scrollIntoView({ block: "start", behavior: "smooth" }));
  });
  byId("export").addEventListener("click", (ev) => {
    if (!api.token()) return;   // a plain link does without a token
    ev.preventDefault();
    U.download(byId("export").href, "calls.csv").catch((e) => U.say(byId("error"), "err", "Export failed: " + e.message));
  });
  // Back and forward between filter sets.
  window.addEventListener("popstate", (ev) => {
    const s = ev.state;
    st = s && s.filters ? { filters: s.filters, cursor: s.cursor || "", stack: s.stack || [], next: "" } : { filters: fromURL(), cursor: "", stack: [], next: "" };
    writeForm(st.filters);
    updateExport();
    load();
    count();
  });

  // Start from the URL's filters, and from the page the tab was on if it
  // comes back here (history.state survives reloads and back).
  const f0 = fromURL();
  const s0 = history.state;
  st = s0 && s0.filters && same(s0.filters, f0) ? { filters: f0, cursor: s0.cursor || "", stack: s0.stack || [], next: "" } : { filters: f0, cursor: "", stack: [], next: "" };
  writeForm(st.filters);
  saveState(false);
  updateExport();
  load();
  count();
})();
