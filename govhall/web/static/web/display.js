/* The calling screen: latest calls per window, history, waiting per zone, spoken calls. */
(function () {
  "use strict";
  const G = window.Govhall;
  const data = JSON.parse(document.getElementById("display-data").textContent);
  const hall = data.hall;
  const $ = (id) => document.getElementById(id);
  const windows = {}; // code → {code, name, state, ticket}
  let windowOrder = [];
  let zones = data.status.zones;
  let history = data.history.map((e) => ({
    number: e.ticket.number,
    window: e.window ? e.window.name : label(e.ticket.window),
    recall: e.type === "ticket.recalled",
  }));
  const seenCalls = {}; // window code → "ticketId:recallCount" of its last known call (for polling)

  function label(code, name) {
    if (name && name.indexOf("窗口") >= 0) return name;
    if (!code) return gettext("窗口");
    return interpolate(gettext("%s号窗口"), [code]);
  }

  function setWindows(list) {
    windowOrder = list.map((w) => w.code);
    list.forEach((w) => {
      windows[w.code] = { code: w.code, name: w.name, state: w.state, ticket: w.ticket };
      if (w.ticket && !(w.code in seenCalls)) seenCalls[w.code] = w.ticket.id + ":" + (w.ticket.recall_count || 0);
    });
  }
  setWindows(data.status.windows);

  const voice = new window.GovhallVoice({
    control: $("sound-on"),
    audioUrl: (number, win) =>
      "/halls/" + encodeURIComponent(hall) + "/voice.wav?number=" + encodeURIComponent(number) + "&window=" + encodeURIComponent(win),
  });

  // --- rendering ------------------------------------------------------------
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Only windows with someone at them (or paused) get a tile: a hall of 30 windows fits a TV. */
  function shown(w) {
    return !!w.ticket || w.state === "paused";
  }

  function renderWindows() {
    const list = $("window-list");
    list.innerHTML = "";
    const visible = windowOrder.filter((code) => shown(windows[code]));
    if (!visible.length) list.appendChild(el("li", "empty", gettext("暂无办理中的窗口")));
    visible.forEach((code) => {
      const w = windows[code];
      const li = el("li", "win-card state-" + w.state + (w.ticket ? " busy" : ""));
      li.dataset.window = code;
      let state = gettext("空闲");
      if (w.state === "paused") state = gettext("暂停服务");
      else if (w.state === "closed") state = gettext("未开放");
      else if (w.ticket) state = w.ticket.status === "serving" ? gettext("办理中") : gettext("请前往");
      li.append(el("span", "win-name", w.name), el("span", "win-num", w.ticket ? w.ticket.number : "—"), el("span", "win-state", state));
      list.appendChild(li);
    });
  }

  function renderHistory() {
    const list = $("history");
    list.innerHTML = "";
    if (!history.length) list.appendChild(el("li", "empty", gettext("暂无")));
    history.slice(0, 8).forEach((h) => {
      const li = el("li");
      li.append(el("b", "", h.number), document.createTextNode(" "), el("span", "", h.window));
      if (h.recall) li.append(document.createTextNode(" "), el("em", "", gettext("重呼")));
      list.appendChild(li);
    });
  }

  function renderZones() {
    const list = $("zones");
    list.innerHTML = "";
    zones.forEach((z) => {
      const li = el("li", "alert-" + z.alert);
      li.append(el("span", "zone-name", z.name), document.createTextNode(" "), el("b", "", String(z.waiting)), document.createTextNode(gettext(" 人")));
      list.appendChild(li);
    });
  }

  function showLatest(number, windowLabel) {
    const box = $("latest");
    box.innerHTML = "";
    const to = el("span", "to");
    to.append(document.createTextNode(gettext("请到 ")), el("b", "win", windowLabel), document.createTextNode(gettext(" 办理")));
    box.append(el("span", "num", number), to);
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation
    box.classList.add("flash");
  }

  function called(ticket, win, recall) {
    const code = (win && win.code) || ticket.window;
    const known = windows[code];
    const windowLabel = label(code, (win && win.name) || (known && known.name));
    if (known) known.ticket = ticket;
    seenCalls[code] = ticket.id + ":" + (ticket.recall_count || 0);
    history.unshift({ number: ticket.number, window: windowLabel, recall: recall });
    history = history.slice(0, 20);
    showLatest(ticket.number, windowLabel);
    renderWindows();
    renderHistory();
    voice.announce(ticket.number, windowLabel);
  }

  // --- live -----------------------------------------------------------------
  async function refreshStatus(detectCalls) {
    const result = await G.api("GET", "/api/v1/halls/" + encodeURIComponent(hall) + "/status");
    if (!result.ok || !result.data) return;
    zones = result.data.zones;
    if (detectCalls) {
      // polling: a new or recalled ticket at a window is a call we did not hear about
      result.data.windows.forEach((w) => {
        const t = w.ticket;
        if (!t || t.status !== "called") return;
        const key = t.id + ":" + (t.recall_count || 0);
        if (seenCalls[w.code] !== key) {
          const recall = seenCalls[w.code] && seenCalls[w.code].split(":")[0] === t.id;
          windows[w.code] = { code: w.code, name: w.name, state: w.state, ticket: t };
          called(t, { code: w.code, name: w.name }, !!recall);
        }
      });
    }
    setWindows(result.data.windows);
    renderWindows();
    renderZones();
  }
  const refreshSoon = G.debounce(() => refreshStatus(false), 800);

  function onEvent(event) {
    const ticket = event.ticket;
    const win = event.window;
    if (event.type === "ticket.called" || event.type === "ticket.recalled") {
      called(ticket, win, event.type === "ticket.recalled");
    } else if (ticket && win && windows[win.code]) {
      const current = windows[win.code].ticket;
      if (event.type === "ticket.started" || event.type === "ticket.resumed") windows[win.code].ticket = ticket;
      else if (current && current.id === ticket.id) windows[win.code].ticket = null;
      renderWindows();
    }
    if (event.type === "window.changed" && win && windows[win.code]) {
      windows[win.code].state = win.state;
      renderWindows();
    }
    refreshSoon();
  }

  new G.HallLive({
    hall: hall,
    since: data.lastId,
    onEvent: onEvent,
    onResync: () => refreshStatus(false),
    poll: () => refreshStatus(true),
    pollEvery: 4000,
    onState: (state) => {
      const conn = $("conn");
      conn.textContent = state === "live" ? gettext("实时") : gettext("连接中断，正在重连…");
      conn.className = "conn " + state;
    },
  });

  function tick() {
    $("clock").textContent = new Date().toLocaleString("zh-CN", {
      month: "long",
      day: "numeric",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
  }
  tick();
  setInterval(tick, 15000);
  // a long-running screen refreshes its figures now and then even when all is quiet
  setInterval(() => refreshStatus(false), 60000);
})();
