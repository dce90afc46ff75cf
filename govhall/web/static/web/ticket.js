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
  const nearAt = Number(box.dataset.near || 3);
  // what the citizen was last alerted to, so each notice buzzes once: "near" or "called:<recalls>"
  let alerted = !$("turn").hidden ? "called:" + (box.dataset.recalls || 0) : !$("near").hidden ? "near" : "";

  function nearText(t) {
    if (t.status !== "waiting" || t.position === null || t.position > nearAt) return "";
    if (t.position === 0) return gettext("下一位就是您，请回到大厅等候叫号");
    return interpolate(gettext("还有%s位，请回到大厅"), [t.position]);
  }

  /* Buzz the phone, where it can and may: browsers refuse vibration before the first tap. */
  function buzz(pattern) {
    if (typeof navigator.vibrate !== "function") return;
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
    try {
      navigator.vibrate(pattern);
    } catch (e) {
      /* not allowed here */
    }
  }

  function windowText(code) {
    const name = windowNames[code];
    if (name) return name;
    return interpolate(gettext("%s 号窗口"), [code]);
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
    $("turn-window").textContent = called ? interpolate(gettext("请到 %s 办理"), [windowText(t.window)]) : "";
    $("window").textContent = t.status === "serving" && t.window ? interpolate(gettext("正在 %s 办理"), [windowText(t.window)]) : "";
    const near = nearText(t);
    $("near").hidden = !near;
    $("near-text").textContent = near;
    $("cancel-box").hidden = ["waiting", "on_hold"].indexOf(t.status) < 0;
    finished = ["served", "no_show", "cancelled"].indexOf(t.status) >= 0;
    const now = called ? "called:" + (t.recall_count || 0) : near ? "near" : "";
    if (now && now !== alerted) buzz(called ? [400, 200, 400, 200, 400] : [300]);
    alerted = now;
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

  // cancel: a confirmation first; the form posts (and works the same without the dialog)
  const dialog = $("cancel-dialog");
  $("cancel-open").addEventListener("click", () => {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else if (window.confirm($("cancel-title").textContent)) $("cancel-form").submit();
  });
  $("cancel-keep").addEventListener("click", () => dialog.close());

  new G.HallLive({
    hall: box.dataset.hall,
    since: Number(box.dataset.since),
    onEvent: onEvent,
    onResync: refresh,
    poll: refresh,
    pollEvery: 5000,
    onState: (state) => {
      $("conn").textContent = state === "live" ? gettext("实时更新") : gettext("网络不稳定，每 5 秒刷新");
      $("conn").className = "conn " + state;
    },
  });
})();
