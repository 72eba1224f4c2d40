// What the collector's pages share: the login or API token gate, the source
// status in the top bar, and the cells of a call.
"use strict";
(function () {
  const U = window.ipsmdr;
  const { el, fmt } = U;
  const C = {};
  window.collect = C;

  // Who may read the API. With an admin password (--admin-password-hash)
  // the browser holds a session cookie, which every same-origin fetch
  // sends: the page shows who is signed in, and a 401 (the session ended)
  // leads to the login page. Without one the API may still take a bearer
  // token (--http-token): the page asks for it on the first 401 and keeps
  // it for the tab. GET /api/v1/session tells which; until it answers, a
  // 401 waits for it.
  U.useBearerToken("ipsmdr-collect-token");
  const tokenGate = U.api.onUnauthorized;
  const toLogin = () => { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); };
  const who = U.api.get("/api/v1/session").then(
    (s) => s || {},
    (e) => ({ login: e.status === 401 }));   // 401: a login, and no session
  U.api.onUnauthorized = (err) => { who.then((s) => (s.login ? toLogin() : tokenGate(err))); };
  who.then((s) => {
    if (!s.login) return;
    U.api.tokenKey = null;   // the session cookie does it
    const a = document.getElementById("account");
    if (a && s.user) { a.textContent = s.user + " · Sign out"; a.hidden = false; }
  });

  C.stateLabel = { ringing: "Ringing", connected: "Connected", hold: "On hold", queued: "Queued", ended: "Ended" };
  C.outcomeLabel = { answered: "Answered", missed: "Missed", abandoned: "Abandoned", unanswered: "Unanswered", "": "In progress" };

  C.callURL = (c) => "/calls/" + encodeURIComponent(c.call_id) + (c.site ? "?site=" + encodeURIComponent(c.site) : "");

  C.stateBadge = (s) => U.badge(s || "ended", C.stateLabel[s] || s || "–");
  C.outcomeBadge = (c) => c.outcome
    ? U.badge(c.outcome, C.outcomeLabel[c.outcome] || c.outcome)
    : U.badge(c.state || "ringing", C.stateLabel[c.state] || "In progress");
  C.dirBadge = (d) => {
    const x = fmt.dir(d);
    return x ? el("span", { class: "badge plain " + x, title: x === "in" ? "Inbound" : "Outbound", text: x === "in" ? "In" : "Out" }) : "";
  };

  // The other party: the caller of an inbound call, the number dialled of
  // an outbound one, with the name under it.
  C.partyCell = (c, link) => {
    const main = c.number || "(withheld)";
    return el("td", { class: "wrap" },
      el("div", { class: "cell-main" }, link ? el("a", { href: C.callURL(c), text: main }) : main),
      c.name ? el("div", { class: "cell-sub", text: c.name }) : null);
  };
  C.ddiCell = (c) => el("td", {},
    el("div", { text: c.ddi_name || c.ddi || "–" }),
    c.ddi_name && c.ddi ? el("div", { class: "cell-sub", text: c.ddi }) : null);
  C.extCell = (c) => {
    const exts = c.extensions || [];
    const main = c.answered_by || c.final_extension || exts[exts.length - 1] || "–";
    const others = exts.filter((x) => x !== main);
    return el("td", {},
      el("div", { class: "cell-main", text: main }),
      others.length ? el("div", { class: "cell-sub", title: "Extensions involved, in order: " + exts.join(", "), text: "also " + others.join(", ") } ) : null);
  };

  // The source status in the top bar, every 5 seconds.
  async function source() {
    try {
      const s = await U.api.get("/api/v1/collector/status");
      const srcs = s.sources || [];
      if (!srcs.length) { U.setConn("ok", "Collector up" + (s.site ? " · site " + s.site : "")); return; }
      const up = srcs.filter((x) => x.state === "connected" || x.state === "listening").length;
      const name = srcs.length === 1 ? srcs[0].name.replace(/^follow:/, "") : srcs.length + " sources";
      U.setConn(up === srcs.length ? "ok" : up ? "warn" : "err",
        (up === srcs.length ? "Receiving from " : "Waiting for ") + name + (s.site ? " · site " + s.site : ""));
    } catch (e) {
      if (e.status === 401) { U.setConn("warn", U.api.tokenKey ? "Needs the API token" : "Signed out"); return; }
      U.setConn("err", e.status ? "Collector: " + e.message : "Collector unreachable");
    }
  }
  C.source = source;
  U.poll(source, 5000);
})();
