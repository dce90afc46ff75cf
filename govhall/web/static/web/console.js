/* The window console: every action through the API with the session and CSRF token; the
   panel is re-rendered by the server after each action and each hall event. */
(function () {
  "use strict";
  const G = window.Govhall;
  const data = JSON.parse(document.getElementById("console-data").textContent);
  const hall = encodeURIComponent(data.hall);
  const win = encodeURIComponent(data.window);
  const panel = document.getElementById("panel");
  const notice = document.getElementById("notice");
  let busy = false;
  let noticeTimer = null;

  function say(text, kind) {
    notice.textContent = text;
    notice.className = "notice-bar " + (kind || "info");
    notice.hidden = false;
    clearTimeout(noticeTimer);
    if (kind !== "error") noticeTimer = setTimeout(() => (notice.hidden = true), 6000);
  }

  async function refresh() {
    let response;
    try {
      response = await fetch(panel.dataset.panelUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
    } catch (e) {
      return;
    }
    if (response.redirected && response.url.indexOf("/accounts/login/") >= 0) {
      say(gettext("登录已过期，请刷新页面重新登录。"), "error");
      return;
    }
    if (!response.ok) return;
    panel.innerHTML = await response.text();
  }
  const refreshSoon = G.debounce(refresh, 250);

  function current() {
    const grid = panel.querySelector(".console-grid");
    return grid ? grid.dataset.current : "";
  }

  async function act(action, ticketId) {
    if (busy) return;
    busy = true;
    let result;
    try {
      if (action === "call-next") {
        result = await G.api("POST", "/api/v1/halls/" + hall + "/windows/" + win + "/call-next");
      } else if (action === "window-state") {
        result = await G.api("POST", "/api/v1/halls/" + hall + "/windows/" + win + "/state", { state: ticketId });
      } else {
        const id = ticketId || current();
        if (!id) {
          say(gettext("当前没有可操作的号。"), "error");
          return;
        }
        const body = action === "transfer" ? { zone: document.getElementById("transfer-zone").value } : {};
        result = await G.api("POST", "/api/v1/tickets/" + encodeURIComponent(id) + "/" + action, body);
      }
      if (result.status === 204) {
        say(gettext("当前没有等候的群众。"), "info");
      } else if (result.ok) {
        say(done(action, result.data), "ok");
      } else if (result.status === 401 || result.status === 403) {
        say(result.status === 401 ? gettext("登录已过期，请刷新页面重新登录。") : gettext("没有权限：") + G.reason(result), "error");
      } else {
        say(gettext("操作未完成：") + G.reason(result), "error");
      }
    } finally {
      busy = false;
      await refresh();
    }
  }

  function done(action, t) {
    const n = t && t.number ? t.number : "";
    return (
      {
        "call-next": interpolate(gettext("已叫号 %s"), [n]),
        recall: interpolate(gettext("已重呼 %s"), [n]),
        start: interpolate(gettext("%s 开始办理"), [n]),
        finish: interpolate(gettext("%s 已办结"), [n]),
        "no-show": interpolate(gettext("%s 已过号"), [n]),
        hold: interpolate(gettext("%s 已挂起"), [n]),
        resume: interpolate(gettext("%s 恢复办理"), [n]),
        cancel: interpolate(gettext("%s 已取消"), [n]),
        transfer: interpolate(gettext("%s 已转移"), [n]),
        "window-state": t && t.state === "open" ? gettext("窗口已开放") : gettext("窗口已暂停"),
      }[action] || gettext("完成")
    );
  }

  panel.addEventListener("click", (event) => {
    const stateButton = event.target.closest("button[data-window-state]");
    if (stateButton) {
      act("window-state", stateButton.dataset.windowState);
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) return;
    const action = button.dataset.action;
    if (action === "cancel" && !button.dataset.armed) {
      // cancelling is final: a second tap confirms
      button.dataset.armed = "1";
      button.textContent = gettext("确认取消？");
      setTimeout(() => {
        if (button.isConnected) {
          delete button.dataset.armed;
          button.textContent = gettext("取消");
        }
      }, 4000);
      return;
    }
    act(action, button.dataset.ticket);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
    const key = event.key.toLowerCase();
    const button = panel.querySelector('button[data-key="' + key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  new G.HallLive({
    hall: data.hall,
    since: data.lastId,
    onEvent: refreshSoon,
    onResync: refresh,
    poll: refresh,
    pollEvery: 5000,
    onState: (state) => {
      const conn = document.getElementById("conn");
      conn.textContent = state === "live" ? gettext("实时") : gettext("连接中断，轮询中");
      conn.className = "conn " + state;
    },
  });
})();
