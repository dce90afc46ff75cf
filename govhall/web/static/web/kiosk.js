/* The touch kiosk: choose by zone, department or plain words, then take a ticket once. */
(function () {
  "use strict";
  const G = window.Govhall;
  const data = JSON.parse(document.getElementById("kiosk-data").textContent);
  const hall = data.hall;
  const zones = {};
  data.zones.forEach((z) => (zones[z.code] = z));
  const $ = (id) => document.getElementById(id);
  const body = document.body;

  // --- modes ----------------------------------------------------------------
  let priority = false;
  function setElderly(on) {
    body.classList.toggle("elderly", on);
    $("elderly-toggle").setAttribute("aria-pressed", on ? "true" : "false");
    if (on) showTab("zones");
  }
  $("elderly-toggle").addEventListener("click", () => setElderly(!body.classList.contains("elderly")));
  $("priority").addEventListener("click", () => {
    priority = !priority;
    $("priority").setAttribute("aria-pressed", priority ? "true" : "false");
  });

  function showTab(name) {
    document.querySelectorAll(".tabs [role=tab]").forEach((tab) => {
      tab.setAttribute("aria-selected", tab.dataset.tab === name ? "true" : "false");
    });
    ["zones", "departments", "search"].forEach((t) => ($("tab-" + t).hidden = t !== name));
    $("matters").hidden = true;
    if (name === "search") $("search-q").focus();
  }
  document.querySelectorAll(".tabs [role=tab]").forEach((tab) => {
    tab.addEventListener("click", () => showTab(tab.dataset.tab));
  });

  // --- choices ----------------------------------------------------------------
  function button(text, cls, onTap) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    b.addEventListener("click", onTap);
    return b;
  }

  function showMatters(title, matters) {
    ["zones", "departments", "search"].forEach((t) => ($("tab-" + t).hidden = true));
    $("matters").hidden = false;
    $("matters-title").textContent = title;
    const list = $("matter-list");
    list.innerHTML = "";
    matters.forEach((m) => {
      const li = document.createElement("li");
      const zone = zones[m.zone];
      const b = button(m.name, "choice", () => issue(m.code, m.zone, m.name));
      if (zone) {
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = zone.name;
        b.appendChild(tag);
      }
      li.appendChild(b);
      list.appendChild(li);
    });
    // A ticket always names a real matter. Who does not know which one is sent to the people who
    // can tell: the service desk and the volunteers, or the plain-words search.
    const li = document.createElement("li");
    li.className = "unsure";
    const note = document.createElement("p");
    note.textContent = matters.length
      ? gettext("不确定办哪一项？请到服务台或找导办志愿者咨询，工作人员会帮您取号。")
      : gettext("这里暂无可自助取号的事项，请到服务台或找导办志愿者咨询。");
    li.appendChild(note);
    if (!body.classList.contains("elderly")) {
      li.appendChild(
        button(gettext("说说您要办的事，帮您查找"), "choice general", () => {
          lastTab = "search";
          showTab("search");
        }),
      );
    }
    list.appendChild(li);
    window.scrollTo(0, 0);
  }
  let lastTab = "zones";
  $("matters-back").addEventListener("click", () => showTab(lastTab));

  document.querySelectorAll(".zone-btn").forEach((b) => {
    b.addEventListener("click", () => {
      const code = b.dataset.zone;
      const matters = data.matters.filter((m) => m.zone === code);
      lastTab = "zones";
      showMatters(interpolate(gettext("%s · 请选择事项"), [zones[code].name]), matters);
    });
  });
  document.querySelectorAll(".dept-btn").forEach((b) => {
    b.addEventListener("click", () => {
      const dept = b.dataset.department;
      lastTab = "departments";
      showMatters(interpolate(gettext("%s · 请选择事项"), [dept]), data.matters.filter((m) => m.department === dept));
    });
  });

  // --- search by plain words ---------------------------------------------------
  async function search(event) {
    if (event) event.preventDefault();
    const q = $("search-q").value.trim();
    const list = $("search-results");
    list.innerHTML = "";
    if (!q) return;
    $("search-hint").textContent = gettext("正在查找…");
    const result = await G.api("GET", "/api/v1/guide/search?top=5&q=" + encodeURIComponent(q));
    if (!result.ok || !result.data) {
      $("search-hint").textContent = gettext("暂时无法查找，请按功能区或部门选择。");
      return;
    }
    const hits = result.data.results || [];
    $("search-hint").textContent = hits.length ? gettext("找到以下事项，请点击取号：") : gettext("没有找到相关事项，请换个说法，或按功能区选择。");
    hits.forEach((hit) => {
      const li = document.createElement("li");
      const zone = data.zoneOf[hit.code];
      if (zone) {
        const b = button(hit.name, "choice", () => issue(hit.code, zone, hit.name));
        const tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = interpolate(gettext("到%s"), [zones[zone].name]);
        b.appendChild(tag);
        li.appendChild(b);
      } else {
        li.className = "elsewhere";
        const name = document.createElement("p");
        name.className = "name";
        name.textContent = hit.name;
        const note = document.createElement("p");
        note.className = "note";
        note.textContent = gettext("本中心没有专门办理此事项的区域。您可以选择一个功能区取号，由窗口人员帮您办理：");
        const row = document.createElement("div");
        row.className = "zone-row";
        data.zones.forEach((z) => row.appendChild(button(z.name, "choice small", () => issue(hit.code, z.code, hit.name))));
        li.append(name, note, row);
      }
      list.appendChild(li);
    });
  }
  $("search-form").addEventListener("submit", search);

  // --- issuing: one ticket per choice, however often it is tapped ---------------
  let pending = null; // {sig, key, busy}
  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "kiosk-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function show(part) {
    $("overlay").hidden = false;
    ["sheet-busy", "sheet-ticket", "sheet-error"].forEach((id) => ($(id).hidden = id !== part));
  }

  let closeTimer = null;
  function done() {
    $("overlay").hidden = true;
    pending = null;
    clearTimeout(closeTimer);
    if (priority) $("priority").click();
    showTab(body.classList.contains("elderly") ? "zones" : lastTab === "search" ? "search" : "zones");
  }
  $("ticket-done").addEventListener("click", done);
  $("error-done").addEventListener("click", done);

  async function issue(matter, zone, label) {
    const sig = [matter, zone, priority ? 1 : 0].join("|");
    if (pending && pending.busy) return; // a double tap while the first is on its way
    if (!pending || pending.sig !== sig) pending = { sig: sig, key: newKey(), busy: false };
    pending.busy = true;
    show("sheet-busy");
    const state = await refresh();
    if (state && !state.open) {
      // closed: say so without sending a request the server would refuse
      pending.busy = false;
      showError({ status: 409, data: { detail: gettext("现在不在开放时间，暂停取号。") } });
      return;
    }
    const result = await G.api(
      "POST",
      "/api/v1/halls/" + encodeURIComponent(hall) + "/tickets",
      { matter: matter, zone: zone, channel: "walk_in", priority: priority ? 1 : 0 },
      { "Idempotency-Key": pending.key },
    );
    pending.busy = false;
    if (result.ok && result.data) {
      showTicket(result.data, label);
    } else {
      showError(result);
    }
  }

  function showTicket(t, label) {
    $("ticket-number").textContent = t.number;
    $("ticket-zone").textContent = (zones[t.zone] ? zones[t.zone].name : t.zone) + (label ? " · " + label : "");
    $("ticket-ahead").textContent = t.position === null ? "-" : t.position;
    $("ticket-minutes").textContent = G.minutes(t.estimated_wait_seconds);
    const base = "/halls/" + encodeURIComponent(hall) + "/tickets/" + encodeURIComponent(t.id);
    $("ticket-qr").src = base + "/qr.svg";
    $("ticket-print").href = base + "/print?auto=1";
    show("sheet-ticket");
    clearTimeout(closeTimer);
    closeTimer = setTimeout(done, 60000);
  }

  function showError(result) {
    const closed = result.status === 409;
    $("error-title").textContent = closed ? gettext("现在暂停取号") : gettext("暂时无法取号");
    let text = G.reason(result).replace(/\s*\([^()]*\)\s*$/, "");
    if (result.status === 429) text = gettext("取号太频繁，请稍后再试");
    $("error-reason").textContent = text;
    const hours = $("error-hours");
    hours.innerHTML = "";
    if (closed && data.openingHours.length) {
      const head = document.createElement("li");
      head.className = "head";
      head.textContent = gettext("开放时间：");
      hours.appendChild(head);
      data.openingHours.forEach((line) => {
        const li = document.createElement("li");
        li.textContent = line;
        hours.appendChild(li);
      });
    }
    show("sheet-error");
    if (!closed) pending = null; // a real failure: the next tap is a new try with a new key
  }

  // --- live waiting figures, opening hours and the clock --------------------------
  const stateUrl = "/halls/" + encodeURIComponent(hall) + "/kiosk/state";
  function applyState(state) {
    data.open = state.open;
    $("closed-banner").hidden = state.open;
    state.zones.forEach((z) => {
      const waiting = document.querySelector('[data-waiting="' + CSS.escape(z.code) + '"]');
      const wait = document.querySelector('[data-wait="' + CSS.escape(z.code) + '"]');
      if (waiting) waiting.textContent = z.waiting;
      if (wait) wait.textContent = z.wait_minutes;
    });
  }
  async function refresh() {
    const result = await G.api("GET", stateUrl);
    if (result.ok && result.data) applyState(result.data);
    return result.ok && result.data ? result.data : null;
  }
  setInterval(refresh, 20000);
  function tick() {
    const now = new Date();
    $("clock").textContent = now.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  }
  tick();
  setInterval(tick, 10000);
  if (body.classList.contains("elderly")) setElderly(true);
})();
