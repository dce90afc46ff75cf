/* The citizen's ticket on the phone: live over the hall socket, polling when it is down. */
(function () {
  "use strict";
  const G = window.Govhall;
  const box = document.getElementById("ticket");
  const id = box.dataset.id;
  const labels = JSON.parse(document.getElementById("status-labels").textContent);
  const $ = (name) => document.getElementById(name);
  let zone = box.dataset.zone;
  let windowNames = {};
  let finished = false;

  function windowText(code) {
    const name = windowNames[code];
    if (name) return name;
    return code + " 号窗口";
  }

  function show(t) {
    zone = t.zone;
    if (t.zone_name) $("zone").textContent = t.zone_name;
    box.className = "ticket status-" + t.status;
    $("status").textContent = labels[t.status] || t.status;
    $("waiting-line").hidden = t.status !== "waiting";
    $("position").textContent = t.position === null ? "-" : t.position;
    $("wait").textContent = G.minutes(t.estimated_wait_seconds);
    const called = t.status === "called" && t.window;
    $("turn").hidden = !called;
    $("turn-window").textContent = called ? "请到 " + windowText(t.window) + " 办理" : "";
    $("window").textContent = t.status === "serving" && t.window ? "正在 " + windowText(t.window) + " 办理" : "";
    finished = ["served", "no_show", "cancelled"].indexOf(t.status) >= 0;
  }

  async function refresh() {
    const result = await G.api("GET", "/api/v1/tickets/" + encodeURIComponent(id));
    if (result.ok && result.data) show(result.data);
  }
  const refreshSoon = G.debounce(refresh, 150);

  function onEvent(event) {
    const t = event.ticket;
    if (event.window && event.window.code && event.window.name) windowNames[event.window.code] = event.window.name;
    if (t && t.id === id) {
      refresh();
      return;
    }
    // someone else's change in my line moves my place
    if (!finished && (!t || t.zone === zone || event.type === "window.changed")) refreshSoon();
  }

  new G.HallLive({
    hall: box.dataset.hall,
    since: Number(box.dataset.since),
    onEvent: onEvent,
    onResync: refresh,
    poll: refresh,
    pollEvery: 5000,
    onState: (state) => {
      $("conn").textContent = state === "live" ? "实时更新" : "网络不稳定，每 5 秒刷新";
      $("conn").className = "conn " + state;
    },
  });
})();
