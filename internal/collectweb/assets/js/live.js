// The live page: calls in progress, polled every second, with timers that
// run between polls; today's figures; the calls that just ended.
"use strict";
(function () {
  const U = window.ipsmdr, C = window.collect;
  const { el, fmt, api } = U;
  const byId = (id) => document.getElementById(id);
  const order = { ringing: 0, queued: 1, hold: 2, connected: 3 };
  const tbody = byId("live-calls").tBodies[0];
  let show = "all";
  let rendered = false;   // rows added after the first render flash once
  let calls = [];
  // skew is how far the PBX's clock (the records' times) runs ahead of
  // this browser's: timers count from the later of the two, so that they
  // never run backwards.
  let skew = 0;
  const now = () => Date.now() + skew;

  function counts(list) {
    const n = { ringing: 0, queued: 0, hold: 0, connected: 0 };
    for (const c of list) if (c.state in n) n[c.state]++;
    return n;
  }

  function cellsOf(c) {
    const since = U.toDate(c.state_since), start = U.toDate(c.start);
    return [
      el("td", {}, C.stateBadge(c.state)),
      el("td", { class: "num" }, el("span", { class: "timer", "data-since": since ? since.getTime() : "", text: "–" })),
      el("td", { class: "num" }, el("span", { class: "timer muted", style: "font-weight:500", "data-since": start ? start.getTime() : "", text: "–" })),
      el("td", {}, C.dirBadge(c.direction)),
      C.partyCell(c, true),
      C.ddiCell(c),
      C.extCell(c),
      el("td", { class: "hide-sm", text: c.trunk || "" }),
    ];
  }

  // render updates the table in place, keyed by call, so that focus and
  // the rows' place stay put when nothing about them changed.
  function render() {
    const list = calls
      .filter((c) => show === "all" || c.state !== "connected")
      .sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || String(a.state_since).localeCompare(String(b.state_since)));
    const have = new Map();
    for (const tr of Array.from(tbody.rows)) {
      if (tr.classList.contains("placeholder")) tr.remove();
      else have.set(tr.dataset.key, tr);
    }
    const keep = new Set();
    let prev = null;
    for (const c of list) {
      const key = c.site + "/" + c.call_id;
      const sig = [c.state, c.state_since, c.number, c.name, c.ddi, c.ddi_name, c.answered_by, c.final_extension, (c.extensions || []).join()].join("|");
      keep.add(key);
      let tr = have.get(key);
      if (!tr) {
        tr = el("tr", { class: "clickable" + (rendered ? " new" : ""), "data-key": key, "data-call-id": c.call_id, "data-state": c.state }, cellsOf(c));
        tr.dataset.sig = sig;
        tr.addEventListener("click", (ev) => { if (!ev.target.closest("a")) location.href = C.callURL(c); });
      } else if (tr.dataset.sig !== sig) {
        U.clear(tr).append(...cellsOf(c));
        tr.dataset.sig = sig;
        tr.dataset.state = c.state;
      }
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== tr) tbody.insertBefore(tr, want);
      prev = tr;
    }
    for (const [key, tr] of have) if (!keep.has(key)) tr.remove();
    rendered = true;
    if (!list.length) {
      tbody.append(el("tr", { class: "placeholder" }, el("td", { colspan: 8, class: "empty",
        text: calls.length ? "No call is waiting: every call in progress is connected." : "No calls in progress. Calls show here as soon as they start ringing." })));
    }
    tick();
  }

  function tick() {
    const t = now();
    for (const s of tbody.querySelectorAll(".timer[data-since]")) {
      const since = Number(s.dataset.since);
      s.textContent = since ? fmt.clock((t - since) / 1000) : "–";
    }
  }

  let more = false;
  async function poll() {
    try {
      const r = await api.get("/api/v1/calls?open=true&limit=500");
      calls = r.calls || [];
      more = !!r.next;
      let latest = 0;
      for (const c of calls) {
        const d = U.toDate(c.last_event);
        if (d && d.getTime() > latest) latest = d.getTime();
      }
      skew = Math.max(0, latest - Date.now());
      const n = counts(calls);
      for (const k of Object.keys(n)) byId("n-" + k).textContent = fmt.int(n[k]);
      byId("now-count").textContent = "· " + fmt.int(calls.length) + (more ? "+" : "") + " in progress";
      byId("updated").textContent = "Updated " + fmt.time(new Date());
      U.say(byId("error"), "", "");
      render();
    } catch (e) {
      if (e.status !== 401) U.say(byId("error"), "err", "Cannot read the calls in progress: " + e.message);
    }
  }

  async function today() {
    const d = new Date();
    const from = new Date(d.getFullYear(), d.getMonth(), d.getDate()).toISOString();
    try {
      const s = await api.get("/api/v1/summary" + U.query({ from }));
      const ended = s.calls - s.in_progress;
      const missed = s.missed + s.abandoned;
      byId("n-today").textContent = fmt.int(s.calls);
      byId("n-today-sub").textContent = fmt.int(s.inbound) + " in · " + fmt.int(s.outbound) + " out";
      byId("n-answered").textContent = fmt.int(s.answered);
      byId("n-answered-sub").textContent = ended ? fmt.pct(s.answered, ended) + " of ended calls" : "\u00a0";
      byId("n-missed").textContent = fmt.int(missed);
      byId("n-missed-sub").textContent = s.abandoned ? fmt.int(s.abandoned) + " abandoned in a queue" : "avg ring " + fmt.dur(s.avg_ring_seconds);
    } catch (e) { /* the tiles keep their last values */ }
  }

  async function recent() {
    const body = byId("recent-calls").tBodies[0];
    try {
      const r = await api.get("/api/v1/calls?open=false&limit=10");
      U.clear(body);
      if (!r.calls.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty", text: "No call has ended yet." })));
      for (const c of r.calls) {
        const tr = el("tr", { class: "clickable", "data-call-id": c.call_id },
          el("td", { title: fmt.datetime(c.end), text: fmt.when(c.end) }),
          el("td", {}, C.outcomeBadge(c)),
          el("td", {}, C.dirBadge(c.direction)),
          C.partyCell(c, true),
          C.ddiCell(c),
          C.extCell(c),
          el("td", { class: "num", text: fmt.clock(c.ring_seconds) }),
          el("td", { class: "num", text: c.talk_seconds ? fmt.clock(c.talk_seconds) : "–" }));
        tr.addEventListener("click", (ev) => { if (!ev.target.closest("a")) location.href = C.callURL(c); });
        body.append(tr);
      }
    } catch (e) { /* shown by the main poll */ }
  }

  for (const b of document.querySelectorAll("[data-show]")) {
    b.addEventListener("click", () => {
      show = b.dataset.show;
      for (const o of document.querySelectorAll("[data-show]")) o.setAttribute("aria-pressed", String(o === b));
      render();
    });
  }

  U.poll(poll, 1000);
  U.poll(today, 10000);
  U.poll(recent, 5000);
  setInterval(tick, 1000);
})();
