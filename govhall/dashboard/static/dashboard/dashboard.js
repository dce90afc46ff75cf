/* The big screen (/dashboard and /dashboard/{hall}): figures from /api/v1/dashboard/…, redrawn
   when a hall's WebSocket says something changed (Govhall.HallLive: resumes with ?since=N,
   reconnects by itself and polls while the socket is down) and every few seconds for the clocks
   that run on their own (longest waits). */
(function () {
  "use strict";
  const G = window.Govhall;
  const $ = (id) => document.getElementById(id);
  const boot = JSON.parse($("dash-boot").textContent);
  let data = JSON.parse($("dash-data").textContent);
  const isCity = boot.view === "city";
  const apiUrl = isCity ? "/api/v1/dashboard/city" : "/api/v1/dashboard/halls/" + encodeURIComponent(boot.hall);
  const STATE = { none: gettext("正常"), yellow: gettext("黄色预警"), red: gettext("红色预警") };
  const COLOR = { none: "#3ddc84", yellow: "#f5c400", red: "#ff4d4f" };
  const TEXT = { color: "#cfe3ff", fontSize: 18 };
  const seenAlerts = new Set((data.alerts || []).map((a) => a.id));
  const charts = {};

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function mins(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    return seconds < 60 ? gettext("<1分") : G.minutes(seconds) + gettext("分");
  }

  function chart(id) {
    if (!charts[id]) charts[id] = window.echarts.init($(id), null, { renderer: "canvas" });
    return charts[id];
  }

  // --- KPIs ------------------------------------------------------------------------------
  function renderKpis(d) {
    const k = d.kpi;
    $("kpi-tickets_today").textContent = k.tickets_today;
    $("kpi-usual_tickets").textContent = k.usual_tickets_so_far === null ? gettext("往常同期 —") : gettext("往常同期 ") + k.usual_tickets_so_far;
    $("kpi-waiting").textContent = k.waiting;
    const wait = $("kpi-mean_wait");
    wait.textContent = k.mean_wait_seconds === null ? "—" : G.minutes(k.mean_wait_seconds);
    if (k.mean_wait_seconds !== null) wait.append(el("small", "", gettext("分钟")));
    const usual = $("kpi-usual_wait");
    usual.textContent = "";
    if (k.usual_mean_wait_seconds === null) {
      usual.textContent = gettext("往常 —");
    } else {
      usual.append(gettext("往常 ") + G.minutes(k.usual_mean_wait_seconds) + gettext(" 分钟 "));
      if (k.mean_wait_seconds !== null) {
        const diff = k.mean_wait_seconds - k.usual_mean_wait_seconds;
        const mark = el("span", diff > 60 ? "up" : diff < -60 ? "down" : "", diff > 60 ? gettext("▲偏长") : diff < -60 ? gettext("▼偏短") : gettext("持平"));
        usual.append(mark);
      }
    }
    const rate = $("kpi-good_rating");
    rate.textContent = k.good_rating_rate === null ? "—" : (k.good_rating_rate * 100).toFixed(1) + "%";
    $("kpi-ratings").textContent = k.good_rating_rate === null ? gettext("暂无评价数据") : gettext("近30天 ") + k.ratings + gettext(" 人次");
    $("kpi-alerts").textContent = k.open_alerts;
    if (!isCity) {
      $("kpi-open_windows").textContent = d.windows.open;
      $("kpi-windows_total").textContent = interpolate(gettext("共 %s 个"), [d.windows.total]);
    }
  }

  // --- tables ------------------------------------------------------------------------------
  function stateBadge(alert) {
    return el("span", "state state-" + alert, STATE[alert] || alert);
  }

  function renderHalls(d) {
    const body = $("hall-rows");
    body.innerHTML = "";
    d.halls.forEach((h) => {
      const tr = el("tr", "alert-" + h.alert);
      tr.dataset.hall = h.code;
      const name = el("td");
      const link = el("a", "", h.name);
      link.href = "/dashboard/" + encodeURIComponent(h.code);
      name.append(link);
      const cell = (field, text, seconds) => {
        const td = el("td", "num", text);
        td.dataset.field = field;
        if (seconds !== undefined) td.dataset.seconds = seconds;
        return td;
      };
      const state = el("td");
      state.dataset.field = "alert";
      state.dataset.value = h.alert;
      state.append(stateBadge(h.alert));
      tr.append(
        name,
        cell("waiting", h.waiting),
        cell("longest_wait_seconds", mins(h.waiting ? h.longest_wait_seconds : null), h.longest_wait_seconds),
        cell("tickets_today", h.tickets_today),
        cell("open_windows", h.open_windows),
        state
      );
      body.append(tr);
    });
  }

  function renderZones(d) {
    const body = $("zone-rows");
    body.innerHTML = "";
    d.zones.forEach((z) => {
      const tr = el("tr", "alert-" + z.alert);
      tr.dataset.zone = z.code;
      const cell = (field, text, seconds) => {
        const td = el("td", "num", text);
        td.dataset.field = field;
        if (seconds !== undefined) td.dataset.seconds = seconds;
        return td;
      };
      const state = el("td");
      state.dataset.field = "alert";
      state.dataset.value = z.alert;
      state.append(stateBadge(z.alert));
      tr.append(
        el("td", "", z.name),
        cell("waiting", z.waiting),
        cell("longest_wait_seconds", mins(z.waiting ? z.longest_wait_seconds : null), z.longest_wait_seconds),
        cell("open_windows", z.open_windows),
        state
      );
      body.append(tr);
    });
  }

  function renderWindows(d) {
    const list = $("windows");
    list.innerHTML = "";
    d.windows.list.forEach((w) => {
      let cls = "win-closed";
      let text = gettext("未开放");
      if (w.state === "open") {
        cls = w.busy ? "win-busy" : "win-idle";
        text = w.busy ? w.number || gettext("办理中") : gettext("空闲");
      } else if (w.state === "paused") {
        cls = "win-paused";
        text = gettext("暂停");
      }
      const li = el("li", cls + (w.tidal ? " win-tidal" : ""));
      li.dataset.window = w.code;
      li.title = w.tidal ? gettext("潮汐窗口") : "";
      li.append(el("b", "", interpolate(gettext("%s号"), [w.code])), el("span", "", text));
      list.append(li);
    });
  }

  function renderAlerts(d) {
    const list = $("alerts");
    list.innerHTML = "";
    if (!d.alerts.length) {
      list.append(el("li", "empty", gettext("当前无未处理预警")));
      return;
    }
    d.alerts.slice(0, isCity ? 8 : 10).forEach((a) => {
      const li = el("li", seenAlerts.has(a.id) ? "" : "fresh");
      seenAlerts.add(a.id);
      li.dataset.alert = a.id;
      li.dataset.kind = a.kind;
      const where = (isCity ? a.hall_name + " · " : "") + a.zone_name + (a.waiting !== null && a.kind !== "overtime" ? gettext(" 等候") + a.waiting + gettext("人") : "");
      li.append(el("span", "kind kind-" + a.kind, a.label), el("span", "where", where), el("time", "", a.at.slice(11, 16)));
      list.append(li);
    });
  }

  // --- charts ------------------------------------------------------------------------------
  function renderHourly(d) {
    const hours = d.hourly.hours;
    let first = hours.findIndex((h) => d.hourly.today[h] > 0 || d.hourly.usual[h] > 0);
    let last = hours.length - 1;
    while (last > 0 && !(d.hourly.today[last] > 0 || d.hourly.usual[last] > 0)) last -= 1;
    if (first < 0) {
      first = 8;
      last = 17;
    }
    const shown = hours.slice(first, last + 1);
    chart("hourly").setOption({
      animation: false,
      grid: { left: 56, right: 16, top: 40, bottom: 36 },
      legend: { data: [gettext("今日"), gettext("往常")], textStyle: TEXT, top: 0, right: 10, itemWidth: 22, itemHeight: 12 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: shown.map((h) => h + gettext("时")), axisLabel: TEXT, axisLine: { lineStyle: { color: "#3b5b82" } } },
      yAxis: { type: "value", axisLabel: TEXT, splitLine: { lineStyle: { color: "#15304f" } } },
      series: [
        { name: gettext("今日"), type: "bar", data: shown.map((h) => d.hourly.today[h]), itemStyle: { color: "#1f9bff" }, barMaxWidth: 28 },
        { name: gettext("往常"), type: "line", data: shown.map((h) => d.hourly.usual[h]), smooth: true, symbol: "none", lineStyle: { color: "#f5c400", width: 3, type: "dashed" } },
      ],
    });
  }

  function renderChannels(d) {
    chart("channels").setOption({
      animation: false,
      color: ["#1f9bff", "#3ddc84", "#f5c400"],
      legend: { bottom: 0, textStyle: TEXT, itemWidth: 18, itemHeight: 12 },
      series: [
        {
          type: "pie",
          radius: ["38%", "66%"],
          stillShowZeroSum: false,
          center: ["50%", "44%"],
          label: { color: "#e8f0fb", fontSize: 20, formatter: (p) => p.name + "\n" + p.value + "（" + Math.round(p.percent) + "%）" },
          data: d.channels.map((c) => ({ name: c.label, value: c.tickets })),
        },
      ],
    });
  }

  function renderMap(d) {
    const placed = d.halls.filter((h) => h.lat !== null && h.lon !== null);
    const node = $("map");
    if (!placed.length) return;
    const lats = placed.map((h) => h.lat);
    const lons = placed.map((h) => h.lon);
    const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
    const k = Math.cos((midLat * Math.PI) / 180); // a degree of longitude is shorter than one of latitude
    let spanX = Math.max(0.02, (Math.max(...lons) - Math.min(...lons)) * k);
    let spanY = Math.max(0.02, Math.max(...lats) - Math.min(...lats));
    const ratio = node.clientWidth / Math.max(1, node.clientHeight);
    if (spanX / spanY < ratio) spanX = spanY * ratio;
    else spanY = spanX / ratio;
    const pad = 1.3;
    const cx = (Math.min(...lons) + Math.max(...lons)) / 2;
    const cy = midLat;
    const byCode = {};
    placed.forEach((h) => (byCode[h.code] = h));
    const point = (h) => ({
      name: h.name,
      value: [h.lon, h.lat, h.waiting],
      code: h.code,
      alert: h.alert,
      symbolSize: 16 + Math.sqrt(h.waiting) * 7,
      itemStyle: { color: COLOR[h.alert] || COLOR.none, shadowBlur: 18, shadowColor: COLOR[h.alert] || COLOR.none },
    });
    const links = placed
      .filter((h) => h.parent && byCode[h.parent])
      .map((h) => ({ coords: [[h.lon, h.lat], [byCode[h.parent].lon, byCode[h.parent].lat]] }));
    const label = {
      show: true,
      position: "right",
      color: "#ffffff",
      fontSize: 21,
      formatter: (p) => p.name.replace(/(便民服务中心|政务服务中心|行政服务中心|服务中心)$/, "") + "  " + p.value[2] + gettext("人"),
      textBorderColor: "#07111f",
      textBorderWidth: 3,
    };
    chart("map").setOption({
      animation: false,
      grid: { left: 10, right: 10, top: 10, bottom: 10 },
      xAxis: { type: "value", show: false, min: cx - (spanX * pad) / 2 / k, max: cx + (spanX * pad) / 2 / k },
      yAxis: { type: "value", show: false, min: cy - (spanY * pad) / 2, max: cy + (spanY * pad) / 2 },
      tooltip: { formatter: (p) => (p.data && p.data.name ? p.data.name + gettext("<br>等候 ") + p.data.value[2] + gettext(" 人") : "") },
      series: [
        {
          type: "lines",
          coordinateSystem: "cartesian2d",
          data: links,
          lineStyle: { color: "#1f9bff", width: 2, opacity: 0.5, curveness: 0.15 },
          effect: { show: true, period: 5, trailLength: 0.3, symbolSize: 6, color: "#8cd7ff" },
          silent: true,
        },
        { type: "scatter", data: placed.filter((h) => h.alert === "none").map(point), label: label },
        {
          type: "effectScatter",
          data: placed.filter((h) => h.alert !== "none").map(point),
          rippleEffect: { scale: 3, brushType: "stroke" },
          label: label,
        },
      ],
    });
  }

  // --- top 10 (hall view): the three panels in turn ---------------------------------------
  const TOPS = [
    { key: "by_volume", name: gettext("办件量 TOP10"), val: (e) => e.tickets + gettext(" 件"), label: (e) => e.name },
    { key: "shortest_handling", name: gettext("办理最快 TOP10"), val: (e) => (e.mean_handling_seconds / 60).toFixed(1) + gettext(" 分"), label: (e) => e.name },
    { key: "shortest_wait_units", name: gettext("等候最短 TOP10"), val: (e) => (e.mean_wait_seconds / 60).toFixed(1) + gettext(" 分"), label: (e) => e.name },
  ];
  let topIndex = 0;

  function renderTop(d) {
    const spec = TOPS[topIndex % TOPS.length];
    $("top-name").textContent = spec.name;
    $("top-week").textContent = d.top.week ? interpolate(gettext("%(year)s年第%(week)s周"), { year: d.top.week.split("-W")[0], week: d.top.week.split("-W")[1] }, true) : "";
    const list = $("top-list");
    list.innerHTML = "";
    list.dataset.panel = spec.key;
    const entries = d.top[spec.key] || [];
    if (!entries.length) list.append(el("li", "empty", gettext("样本不足（每项至少10件）")));
    entries.forEach((e) => {
      const li = el("li");
      li.append(el("span", "name", spec.label(e)), el("span", "val", spec.val(e)));
      list.append(li);
    });
    const dots = $("top-dots");
    dots.innerHTML = "";
    TOPS.forEach((_, i) => dots.append(el("span", i === topIndex % TOPS.length ? "on" : "")));
  }

  // --- updating ------------------------------------------------------------------------------
  function render(d) {
    renderKpis(d);
    renderAlerts(d);
    renderHourly(d);
    renderChannels(d);
    if (isCity) {
      renderHalls(d);
      renderMap(d);
    } else {
      renderZones(d);
      renderWindows(d);
      renderTop(d);
    }
    document.body.dataset.generatedAt = d.generated_at;
  }

  let inFlight = null;
  let again = false;
  function refresh() {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = G.api("GET", apiUrl).then((result) => {
      if (result.ok && result.data) {
        data = result.data;
        render(data);
      }
      inFlight = null;
      if (again) {
        again = false;
        refresh();
      }
    });
    return inFlight;
  }
  const soon = G.debounce(refresh, 250);
  const KIND = { overtime: gettext("超时未叫号"), yellow: gettext("黄色预警"), red: gettext("红色预警") };

  /* A new alert shows at once from the event itself; the refresh that follows brings the rest. */
  function onEvent(event) {
    const a = event && event.type === "zone.alert" ? event.alert : null;
    if (a && !data.alerts.some((x) => x.id === a.id)) {
      const hall = isCity ? data.halls.find((h) => h.code === a.hall) : null;
      data.alerts.unshift({
        id: a.id,
        kind: a.kind,
        label: KIND[a.kind] || a.kind,
        hall: a.hall,
        hall_name: hall ? hall.name : a.hall,
        zone: a.zone,
        zone_name: a.zone_name,
        at: a.at,
        waiting: a.waiting,
        threshold: a.threshold,
        acknowledged: false,
      });
      data.kpi.open_alerts += 1;
      renderAlerts(data);
      $("kpi-alerts").textContent = data.kpi.open_alerts;
    }
    soon();
  }

  const states = {};
  function showState() {
    const conn = $("conn");
    const offline = Object.values(states).some((s) => s !== "live");
    conn.textContent = offline ? gettext("重连中…") : gettext("实时");
    conn.classList.toggle("offline", offline);
  }

  Object.keys(boot.since).forEach((code) => {
    states[code] = "live";
    new G.HallLive({
      hall: code,
      since: boot.since[code],
      onEvent: onEvent,
      onResync: soon,
      onState: (state) => {
        states[code] = state;
        showState();
      },
      poll: refresh,
      pollEvery: 5000,
    });
  });

  function tick() {
    const now = new Date();
    $("clock").textContent = now.toLocaleDateString("zh-CN") + " " + now.toLocaleTimeString("zh-CN", { hour12: false });
  }
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 10000); // longest waits grow between events
  if (!isCity) {
    setInterval(() => {
      topIndex += 1;
      renderTop(data);
    }, 10000);
  }
  window.addEventListener("resize", G.debounce(() => Object.values(charts).forEach((c) => c.resize()), 200));
  render(data);
  window.GovhallDashboard = { refresh: refresh, data: () => data };
})();
