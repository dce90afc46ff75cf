/* 政小云 · 人工客服台: the queue of waiting conversations (live over /ws/assistant/inbox/), the
 * full transcript of the chosen one (live over /ws/assistant/staff/{id}/), claim, answer, quick
 * replies from the catalogue and close. Staff name a conversation by its id (they never see the
 * citizen's token). When a socket is down the page polls the API and reconnects with a growing
 * delay; answers for a conversation that is no longer the chosen one are dropped. */
(function () {
  "use strict";

  var API = "/api/v1/assistant";
  var list = document.getElementById("inbox");
  var pane = document.getElementById("as-conv");
  var hint = document.getElementById("as-pane-hint");
  var transcript = document.getElementById("transcript");
  var stateLine = document.getElementById("as-conv-state");
  var claimBtn = document.getElementById("claim");
  var replyForm = document.getElementById("reply");
  var replyText = document.getElementById("reply-text");
  var quick = document.getElementById("quick");
  var quickQ = document.getElementById("quick-q");
  var quickList = document.getElementById("quick-list");
  var closeForm = document.getElementById("close");
  var errorLine = document.getElementById("as-error");
  if (!list || !pane) return;

  var STATES = { bot: gettext("智能客服中"), waiting: gettext("等待人工接入"), staff: gettext("人工服务中"), closed: gettext("已结束") };
  var SENDERS = { citizen: gettext("群众"), bot: gettext("政小云"), staff: gettext("工作人员"), system: gettext("系统") };
  var current = null; // {id, last, state, socket, poll, timer, mine, closed}

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function call(method, path, body) {
    var options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf();
      options.body = JSON.stringify(body || {});
    }
    return fetch(API + path, options).then(function (r) {
      return r
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!r.ok) {
            var detail = typeof data.detail === "string" ? data.detail : gettext("操作失败（") + r.status + "）";
            throw new Error(detail);
          }
          return data;
        });
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fail(err) {
    errorLine.textContent = err && err.message ? err.message : gettext("网络异常，请稍后再试");
  }

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  // ------------------------------------------------------------------ the queue

  function waited(seconds) {
    var m = Math.floor((seconds || 0) / 60);
    return m < 1 ? gettext("刚刚") : gettext("已等 ") + m + gettext(" 分钟");
  }

  function renderInbox(items) {
    list.textContent = "";
    if (!items.length) {
      list.appendChild(el("li", "muted as-empty", gettext("暂时没有等待的会话。")));
      return;
    }
    items.forEach(function (item) {
      var li = el("li");
      li.dataset.id = item.id;
      li.dataset.state = item.state;
      if (current && current.id === String(item.id)) li.className = "chosen";
      var b = el("button", "as-pick");
      b.type = "button";
      b.appendChild(el("span", "as-q", item.question || gettext("（没有文字问题）")));
      b.appendChild(
        el("span", "as-meta muted", (item.state === "staff" ? gettext("我在服务 · ") : waited(item.waited_seconds) + " · ") + item.messages + gettext(" 条消息"))
      );
      b.addEventListener("click", function () {
        open(String(item.id));
      });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  var inboxDelay = 1000;
  var inboxPoll = null;
  function watchInbox() {
    var socket;
    try {
      socket = new WebSocket(socketUrl("/ws/assistant/inbox/"));
    } catch (e) {
      return pollInbox();
    }
    socket.onopen = function () {
      inboxDelay = 1000;
      if (inboxPoll) clearInterval(inboxPoll);
      inboxPoll = null;
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "inbox") renderInbox(data.items);
    };
    socket.onclose = function () {
      pollInbox();
      setTimeout(watchInbox, inboxDelay);
      inboxDelay = Math.min(inboxDelay * 2, 30000);
    };
  }

  function pollInbox() {
    if (inboxPoll) return;
    inboxPoll = setInterval(function () {
      call("GET", "/inbox").then(renderInbox).catch(function () {});
    }, 3000);
  }

  Array.prototype.forEach.call(list.querySelectorAll("li[data-id] button"), function (b) {
    b.addEventListener("click", function () {
      open(b.parentNode.dataset.id);
    });
  });

  // ------------------------------------------------------------------ one conversation

  function bubble(m) {
    if (transcript.querySelector('[data-id="' + m.id + '"]')) return;
    var li = el("li", "as-msg " + m.sender);
    li.dataset.id = m.id;
    var who = m.sender === "staff" && m.staff ? gettext("工作人员 ") + m.staff : SENDERS[m.sender] || m.sender;
    li.appendChild(el("span", "as-who", who));
    li.appendChild(el("span", "as-text", m.text));
    var p = m.payload || {};
    if (p.kind === "answer" && p.matter) {
      li.appendChild(el("span", "as-card muted", gettext("答案卡片：") + p.matter.name + (p.matter.situation ? "（" + p.matter.situation + "）" : "")));
    } else if (p.kind === "ask" && p.options) {
      li.appendChild(
        el("span", "as-card muted", gettext("追问选项：") + p.options.map(function (o) { return o.label; }).join(" / "))
      );
    }
    transcript.appendChild(li);
    current.last = Math.max(current.last, m.id);
    li.scrollIntoView({ block: "nearest" });
  }

  function showState(state, staff) {
    current.state = state;
    stateLine.textContent = gettext("状态：") + (STATES[state] || state) + (staff ? " · " + staff : "");
    var mine = state === "staff" && current.mine;
    claimBtn.hidden = state !== "waiting";
    replyForm.hidden = !mine;
    quick.hidden = !mine;
    closeForm.hidden = !mine;
  }

  function stop(conv) {
    if (!conv) return;
    conv.closed = true;
    if (conv.socket) conv.socket.close();
    if (conv.poll) clearInterval(conv.poll);
    if (conv.timer) clearTimeout(conv.timer);
    conv.socket = conv.poll = conv.timer = null;
  }

  function path(conv, action) {
    return "/inbox/" + encodeURIComponent(conv.id) + (action ? "/" + action : "");
  }

  function open(id) {
    stop(current);
    var conv = (current = { id: id, last: 0, state: "", mine: false, closed: false });
    Array.prototype.forEach.call(list.children, function (li) {
      li.classList.toggle("chosen", li.dataset.id === id);
    });
    transcript.textContent = "";
    errorLine.textContent = "";
    hint.hidden = true;
    pane.hidden = false;
    conv.mine = !!list.querySelector('li[data-id="' + id + '"][data-state="staff"]');
    return call("GET", path(conv))
      .then(function (data) {
        if (conv !== current) return; // another conversation was chosen meanwhile
        data.messages.forEach(bubble);
        showState(data.state, data.staff);
        follow(conv);
      })
      .catch(function (err) {
        if (conv === current) fail(err);
      });
  }

  function refresh(conv) {
    return call("GET", path(conv) + "?since=" + conv.last).then(function (data) {
      if (conv !== current) return;
      data.messages.forEach(bubble);
      if (data.state !== conv.state) showState(data.state, data.staff);
      if (data.state === "closed") stop(conv);
    });
  }

  function follow(conv, delay) {
    if (conv.closed || conv !== current) return;
    delay = delay || 1000;
    var socket;
    try {
      socket = new WebSocket(socketUrl("/ws/assistant/staff/" + encodeURIComponent(conv.id) + "/?since=" + conv.last));
    } catch (e) {
      socket = null;
    }
    if (!socket) {
      if (!conv.poll) conv.poll = setInterval(function () { refresh(conv).catch(function () {}); }, 3000);
      return;
    }
    conv.socket = socket;
    socket.onopen = function () {
      if (conv.poll) clearInterval(conv.poll);
      conv.poll = null;
    };
    socket.onmessage = function (event) {
      if (conv !== current) return;
      var data = JSON.parse(event.data);
      if (data.type === "message") bubble(data.message);
      else if (data.type === "state" && data.state !== conv.state) showState(data.state, data.staff);
    };
    socket.onclose = function (event) {
      if (conv.socket === socket) conv.socket = null;
      if (conv.closed || conv !== current) return;
      if (event.code === 1000 && conv.state === "closed") return stop(conv); // nothing more will come
      if (event.code === 4403 || event.code === 4404) {
        stop(conv);
        fail(new Error(gettext("您已无权查看该会话（可能已由其他工作人员接入）")));
        return;
      }
      if (!conv.poll) conv.poll = setInterval(function () { refresh(conv).catch(function () {}); }, 3000);
      conv.timer = setTimeout(function () {
        conv.timer = null;
        follow(conv, Math.min(delay * 2, 30000));
      }, delay);
    };
  }

  claimBtn.addEventListener("click", function () {
    var conv = current;
    claimBtn.disabled = true;
    call("POST", path(conv, "claim"))
      .then(function (data) {
        conv.mine = true;
        if (conv !== current) return;
        data.messages.forEach(bubble);
        showState(data.state, data.staff);
        replyText.focus();
      })
      .catch(fail)
      .then(function () {
        claimBtn.disabled = false;
      });
  });

  var sendBtn = document.getElementById("reply-send");
  var sending = false;
  function send() {
    var text = replyText.value.trim();
    if (!text || sending) return; // one answer at a time: a double Enter sends it once
    var conv = current;
    sending = sendBtn.disabled = true;
    call("POST", path(conv, "reply"), { text: text })
      .then(function (m) {
        if (conv !== current) return;
        if (replyText.value.trim() === text) replyText.value = "";
        bubble(m);
      })
      .catch(function (err) {
        if (conv === current) fail(err);
      })
      .then(function () {
        sending = sendBtn.disabled = false;
      });
  }

  replyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    send();
  });
  replyText.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });

  var quickTimer = null;
  quickQ.addEventListener("input", function () {
    clearTimeout(quickTimer);
    quickTimer = setTimeout(function () {
      var q = quickQ.value.trim();
      if (!q) {
        quickList.textContent = "";
        return;
      }
      call("GET", "/quick-replies?q=" + encodeURIComponent(q))
        .then(function (items) {
          quickList.textContent = "";
          items.forEach(function (item) {
            var b = el("button", "as-quick-item", item.name);
            b.type = "button";
            b.title = item.text;
            b.addEventListener("click", function () {
              replyText.value = (replyText.value ? replyText.value + "\n" : "") + item.text;
              replyText.focus();
            });
            var li = el("li");
            li.appendChild(b);
            quickList.appendChild(li);
          });
        })
        .catch(fail);
    }, 250);
  });

  closeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var conv = current;
    call("POST", path(conv, "close"), {
      outcome: document.getElementById("close-outcome").value,
    })
      .then(function (data) {
        if (conv !== current) return;
        data.messages.forEach(bubble);
        showState(data.state, data.staff);
      })
      .catch(fail);
  });

  watchInbox();
})();
