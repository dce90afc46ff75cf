/* The public guide page `/` (智能导办 with 政小云): the citizen asks in plain words in a chat; the
 * bot answers from the catalogue (POST /api/v1/assistant/conversations/{token}/messages) with the
 * matter, materials, fee, time limit, the lightest channel and, where a window is needed, the
 * nearest halls with their live wait, a navigation link, a remote ticket and a booking link. A
 * follow-up question narrows the answer; "转人工" hands the conversation to online staff, whose
 * answers arrive live over /ws/assistant/{token}/ (polling when the socket is down). Click
 * feedback still goes to POST /api/v1/guide/feedback. Nothing is loaded from outside the server. */
(function () {
  "use strict";

  var form = document.getElementById("ask");
  var input = document.getElementById("q");
  var statusLine = document.getElementById("guide-status");
  var list = document.getElementById("results");
  var followup = document.getElementById("followup");
  var geoNote = document.getElementById("geo-note");
  var chat = document.getElementById("chat");
  var handoffBtn = document.getElementById("handoff");
  var staffLine = document.getElementById("chat-staff");
  if (!form || !input || !list || !chat) return;

  var GEO_WAIT_MS = 1500; // how long a question waits for the first position before going without
  var CHANNEL_ORDER = [
    ["app", gettext("掌上办")],
    ["web", gettext("网上办")],
    ["kiosk", gettext("自助终端")],
    ["hall", gettext("窗口办")],
  ];
  var LEVELS = { city: gettext("市级中心"), district: gettext("区级中心"), town: gettext("乡镇（街道）便民中心"), village: gettext("村（社区）代办点") };

  var state = {
    query: "", // the question as asked (feedback refers to it)
    asked: null, // the original question when a follow-up option refined it
    seq: 0,
    position: null, // {lat, lon} once the browser gave one
    geo: "idle", // idle → pending → granted | denied | unavailable
    sent: {}, // feedback already posted, by query + code
    touched: false, // the citizen acted on the results shown
    token: null, // the conversation with 政小云, made on the first question
    last: 0, // the last message id shown
    mode: "bot",
  };

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  var memorySession = null;
  function sessionId() {
    var key = "govhall.guide.session";
    try {
      var found = window.localStorage.getItem(key);
      if (found && found.length >= 8) return found;
      found = randomId();
      window.localStorage.setItem(key, found);
      return found;
    } catch (e) {
      // storage refused (private mode): one id for this page view
      if (!memorySession) memorySession = randomId();
      return memorySession;
    }
  }

  function minutes(seconds) {
    if (!seconds || seconds <= 0) return gettext("无需等候");
    return interpolate(gettext("约 %s 分钟"), [Math.max(1, Math.ceil(seconds / 60))]);
  }

  function distance(km) {
    if (km === null || km === undefined) return null;
    if (km < 1) return interpolate(gettext("%s 米"), [Math.max(10, Math.round((km * 1000) / 10) * 10)]);
    return interpolate(gettext("%s 公里"), [km < 10 ? km.toFixed(1) : Math.round(km)]);
  }

  function say(text, problem) {
    statusLine.textContent = text;
    statusLine.classList.toggle("problem", !!problem);
  }

  // ------------------------------------------------------------------ location (asked once)

  function setGeoNote() {
    if (!geoNote) return;
    var text = {
      idle: gettext("搜索时会请求一次您的位置，用于推荐最近的大厅；不授权也能正常使用。"),
      pending: gettext("正在获取您的位置……"),
      granted: gettext("已按您的当前位置计算各大厅的距离（位置只用于本次推荐，不会保存）。"),
      denied: gettext("未获得位置授权：大厅按实时等候排列，不显示距离。"),
      unavailable: gettext("暂时无法获取您的位置：大厅按实时等候排列，不显示距离。"),
    }[state.geo];
    geoNote.textContent = text;
  }

  var geoPromise = null;
  function locate() {
    if (geoPromise) return geoPromise;
    if (!navigator.geolocation) {
      state.geo = "unavailable";
      setGeoNote();
      geoPromise = Promise.resolve(null);
      return geoPromise;
    }
    state.geo = "pending";
    setGeoNote();
    geoPromise = new Promise(function (resolve) {
      try {
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            // about 100 m is plenty to rank halls, and no finer position leaves the phone
            state.position = {
              lat: Math.round(pos.coords.latitude * 1000) / 1000,
              lon: Math.round(pos.coords.longitude * 1000) / 1000,
            };
            state.geo = "granted";
            setGeoNote();
            resolve(state.position);
          },
          function (err) {
            state.geo = err && err.code === 1 ? "denied" : "unavailable";
            setGeoNote();
            resolve(null);
          },
          { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
        );
      } catch (e) {
        state.geo = "unavailable";
        setGeoNote();
        resolve(null);
      }
    });
    return geoPromise;
  }

  function waitFor(promise, ms) {
    return Promise.race([
      promise,
      new Promise(function (resolve) {
        setTimeout(function () {
          resolve(undefined);
        }, ms);
      }),
    ]);
  }

  // ------------------------------------------------------------------ feedback

  function sendFeedback(code) {
    var query = state.asked || state.query;
    var key = query + "\u0000" + code;
    if (!query || state.sent[key]) return;
    state.sent[key] = true;
    try {
      fetch("/api/v1/guide/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: query, matter: code, session: sessionId() }),
        keepalive: true,
      }).catch(function () {
        /* feedback is best effort */
      });
    } catch (e) {
      /* old browsers without keepalive */
    }
  }

  // ------------------------------------------------------------------ remote ticket

  // the API's reason when it speaks Chinese (without its English gloss), else one by status
  function refusal(status, data) {
    var detail = data && typeof data.detail === "string" ? data.detail : "";
    if (/[\u4e00-\u9fff]/.test(detail)) return detail.replace(/\s*\([^()]*\)\s*$/, "");
    if (status === 409) return gettext("该大厅现在不能取号（可能不在开放时间）");
    if (status === 429) return gettext("取号太频繁了，请稍等一会儿");
    if (status === 404 || status === 422) return gettext("该大厅暂不能为此事项取号");
    return gettext("服务暂时不可用");
  }

  function takeTicket(button, result, hall, matter) {
    var ticket = hall.ticket || {};
    if (!ticket.url) return;
    state.touched = true;
    sendFeedback(matter.code);
    // one key per hall and matter on this page: a retry after a lost answer returns the same ticket
    button.dataset.key = button.dataset.key || randomId();
    var label = button.querySelector(".take-label") || button;
    button.disabled = true;
    label.textContent = gettext("正在取号……");
    result.className = "hall-result";
    result.textContent = "";
    // through the conversation, so it records that the citizen went on to a window
    var url = state.token ? API + "/" + encodeURIComponent(state.token) + "/ticket" : ticket.url;
    var body = state.token ? { hall: hall.hall, matter: matter.code } : ticket.body || {};
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": button.dataset.key },
      body: JSON.stringify(body),
    })
      .then(function (r) {
        return r
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { ok: r.ok, status: r.status, data: data };
          });
      })
      .then(function (answer) {
        if (!answer.ok || !answer.data.id) throw new Error(refusal(answer.status, answer.data));
        var t = answer.data;
        label.textContent = gettext("已取号");
        result.className = "hall-result ok";
        result.setAttribute("role", "status");
        result.textContent = "";
        var ahead = t.position === null || t.position === undefined ? "" : interpolate(gettext("，前面还有 %s 人"), [t.position]);
        result.appendChild(
          el("span", null, [
            gettext("取号成功："),
            el("span", { className: "num", text: t.number }),
            interpolate(gettext("号（%(hall)s%(ahead)s，%(wait)s）"), { hall: hall.name, ahead: ahead, wait: minutes(t.estimated_wait_seconds) }, true),
          ])
        );
        result.appendChild(
          el("a", { href: "/t/" + encodeURIComponent(t.id), className: "my-ticket", text: gettext("查看我的排队 →") })
        );
        try {
          window.localStorage.setItem("govhall.lastTicket", String(t.id));
        } catch (e) {
          /* not needed to work */
        }
      })
      .catch(function (err) {
        button.disabled = false;
        label.textContent = gettext("重新取号");
        result.className = "hall-result fail";
        result.setAttribute("role", "alert");
        result.textContent =
          interpolate(gettext("取号失败：%s。没有为您取号，请稍后再试或选择其他大厅。"), [err instanceof TypeError || !err || !err.message ? gettext("网络异常") : err.message]);
      });
  }

  // ------------------------------------------------------------------ rendering

  function channelChips(route) {
    var have = {};
    (route.channels || []).forEach(function (c) {
      have[c.channel] = c.label;
    });
    var chips = CHANNEL_ORDER.map(function (pair) {
      var code = pair[0];
      var cls = code === route.channel ? "chosen" : have[code] ? "available" : "";
      var label = have[code] || pair[1];
      var note = code === route.channel ? gettext("（推荐）") : have[code] ? "" : gettext("（不支持）");
      return el("li", { className: cls, text: label + note });
    });
    return el("ul", { className: "channels", "aria-label": gettext("办理渠道，从最省事到需要跑腿") }, chips);
  }

  function hallList(matter, route, nearest) {
    var rows = route.halls.map(function (hall, i) {
      var tags = el("span", { className: "hall-tags" }, [
        i === 0 ? el("span", { className: "hall-tag", text: gettext("推荐") }) : null,
        nearest === hall.hall && route.halls.length > 1 ? el("span", { className: "hall-tag", text: gettext("离您最近") }) : null,
      ]);
      var facts = [];
      var d = distance(hall.distance_km);
      if (d) facts.push(gettext("距离 "), el("b", { text: d }), " · ");
      facts.push(gettext("正在等候 "), el("b", { className: "waiting", text: String(hall.waiting) }), gettext(" 人 · "));
      facts.push(gettext("预计等候 "), el("b", { className: "eta", text: minutes(hall.estimated_wait_seconds) }));
      var result = el("div", { className: "hall-result" });
      // the visible words lead the accessible name; the hall's name follows for screen readers
      var take = el("button", { type: "button", className: "take" }, [
        el("span", { className: "take-label", text: gettext("远程取号") }),
        el("span", { className: "visually-hidden", text: "（" + hall.name + "）" }),
      ]);
      take.addEventListener("click", function () {
        takeTicket(take, result, hall, matter);
      });
      var actions = el("div", { className: "hall-actions" }, [
        hall.navigation
          ? el("a", { className: "nav", href: hall.navigation }, [
              gettext("导航"),
              el("span", { className: "visually-hidden", text: "（" + hall.name + "）" }),
            ])
          : null,
        take,
        el("a", { className: "book", href: "/book/" + encodeURIComponent(hall.hall) + "/?matter=" + encodeURIComponent(matter.code) +
            (state.token ? "&c=" + encodeURIComponent(state.token) : "") }, [
          gettext("预约"),
          el("span", { className: "visually-hidden", text: "（" + hall.name + "）" }),
        ]),
      ]);
      return el("li", { className: "hall-row", "data-hall": hall.hall }, [
        el("div", { className: "hall-name" }, [hall.name, tags]),
        el("div", { className: "hall-facts" }, [(LEVELS[hall.level] || "") + (LEVELS[hall.level] ? " · " : "")].concat(facts)),
        actions,
        result,
      ]);
    });
    return el("ol", { className: "hall-list", "aria-label": gettext("可办理的大厅，推荐的在前") }, rows);
  }

  // what to bring and what it costs, for the matter the bot answered
  function facts(m) {
    var items = [];
    if (m.situation) items.push(el("dt", { text: gettext("办事情形") }), el("dd", { text: m.situation }));
    items.push(el("dt", { text: gettext("需要材料") }));
    items.push(
      (m.materials || []).length
        ? el("dd", null, [el("ul", { className: "materials" }, m.materials.map(function (x) { return el("li", { text: x }); }))])
        : el("dd", { text: gettext("以窗口一次性告知为准") })
    );
    items.push(el("dt", { text: gettext("收费") }), el("dd", { text: m.fee > 0 ? interpolate(gettext("%s 元"), [m.fee]) : gettext("不收费") }));
    if (m.promised_days !== null && m.promised_days !== undefined) {
      items.push(el("dt", { text: gettext("承诺时限") }), el("dd", { text: m.promised_days === 0 ? gettext("即办") : interpolate(gettext("%s 个工作日"), [m.promised_days]) }));
    }
    return el("dl", { className: "facts" }, items);
  }

  function routeBody(matter, index) {
    var route = matter.route;
    var body = el("div", { className: "card-body", id: "card-body-" + index });
    if (!route) {
      body.appendChild(el("p", { className: "howto", text: gettext("暂未配置办理方式，请到就近大厅咨询台咨询。") }));
      return body;
    }
    body.appendChild(channelChips(route));
    body.appendChild(
      el("p", { className: "howto" }, [el("strong", { text: gettext("推荐：") + route.channel_label + "　" }), route.howto])
    );
    var promise = [];
    if (route.max_visits === 0) promise.push(gettext("全程网办，不用跑"));
    else if (route.max_visits) promise.push(interpolate(gettext("最多跑 %s 次"), [route.max_visits]));
    if (route.promised_days === 0) promise.push(gettext("当场办结"));
    else if (route.promised_days) promise.push(interpolate(gettext("承诺 %s 个工作日办结"), [route.promised_days]));
    if (promise.length) body.appendChild(el("p", { className: "promise", text: promise.join(" · ") }));
    if (matter.facts) body.appendChild(facts(matter.facts));

    var halls = route.halls || [];
    var nearest = null;
    var best = Infinity;
    halls.forEach(function (h) {
      if (h.distance_km !== null && h.distance_km !== undefined && h.distance_km < best) {
        best = h.distance_km;
        nearest = h.hall;
      }
    });
    if (halls.length) {
      var titleId = "halls-title-" + index;
      var block = [
        el("h4", { className: "halls-title", id: titleId, text: route.hall_needed ? gettext("需要到窗口办理，可去这些大厅") : gettext("也可以到这些大厅的窗口办理") }),
        hallList(matter, route, nearest),
      ];
      if (route.hall_needed) {
        block.forEach(function (n) {
          body.appendChild(n);
        });
      } else {
        body.appendChild(
          el("details", { className: "also-hall" }, [el("summary", { text: interpolate(gettext("不方便线上办？查看可去的大厅（%s）"), [halls.length]) })].concat(block))
        );
      }
    } else if (route.hall_needed) {
      body.appendChild(el("p", { className: "muted", text: gettext("暂时没有大厅登记可办理此事项，请拨打 12345 咨询。") }));
    }
    return body;
  }

  function card(matter, index) {
    var open = index === 0;
    var bodyId = "card-body-" + index;
    var titleId = "card-title-" + index;
    var toggle = el("button", { type: "button", className: "card-toggle", "aria-expanded": open ? "true" : "false", "aria-controls": bodyId }, [
      el("span", { className: "matter-name", id: titleId, text: matter.name }),
      el("span", { className: "chev" }, [
        el("span", { className: "chev-open", text: gettext("看怎么办 ▾") }),
        el("span", { className: "chev-close", text: gettext("收起 ▴") }),
      ]),
    ]);
    var facts = [];
    if (matter.department) facts.push(matter.department);
    if (matter.why) facts.push(gettext("匹配：") + matter.why);
    if (matter.route) facts.push(gettext("推荐") + matter.route.channel_label);
    var meta = [];
    if (index === 0) meta.push(el("span", { className: "tag-best", text: gettext("最可能是您要办的") }));
    if (facts.length) meta.push(facts.join(" · "));
    var body = routeBody(matter, index);
    body.hidden = !open;
    toggle.addEventListener("click", function () {
      var nowOpen = toggle.getAttribute("aria-expanded") !== "true";
      state.touched = true;
      toggle.setAttribute("aria-expanded", nowOpen ? "true" : "false");
      body.hidden = !nowOpen;
      if (nowOpen) sendFeedback(matter.code);
    });
    return el("li", { className: "guide-card" + (index === 0 ? " best" : ""), "data-code": matter.code, "aria-labelledby": titleId }, [
      el("h3", null, [toggle]),
      meta.length ? el("p", { className: "card-meta" }, meta) : null,
      body,
    ]);
  }

  // ------------------------------------------------------------------ the answer under the chat

  function renderFollowup(options, question) {
    followup.textContent = "";
    if (!options || options.length < 2) {
      followup.hidden = true;
      return;
    }
    followup.appendChild(el("p", { id: "followup-q", text: question || gettext("您要办理的是以下哪一种情形？") }));
    var buttons = options.map(function (option) {
      var b = el("button", {
        type: "button",
        "data-code": option.matter,
        "data-situation": option.situation || null,
        title: option.name,
        text: option.label || option.name,
      });
      b.addEventListener("click", function () {
        sendFeedback(option.matter);
        var choice = { matter: option.matter };
        if (option.situation) choice.situation = option.situation;
        ask(option.label || option.name, { choice: choice });
      });
      return el("li", null, [b]);
    });
    followup.appendChild(el("ul", { "aria-labelledby": "followup-q" }, buttons));
    followup.hidden = false;
  }

  // the cards of a bot message: the answered matter first, with its materials, fee and time limit
  function renderAnswer(payload) {
    var results = (payload.results || []).slice();
    if (payload.matter) {
      results.forEach(function (r) {
        if (r.code === payload.matter.code) r.facts = payload.matter;
      });
    }
    list.textContent = "";
    results.forEach(function (matter, i) {
      list.appendChild(card(matter, i));
    });
    renderFollowup(payload.kind === "ask" ? payload.options : null, payload.kind === "ask" ? lastBotText : "");
    list.setAttribute("aria-busy", "false");
    if (!results.length) {
      say(gettext("没有找到相关事项。换个说法试试，比如说说您遇到的情况；也可以点“转人工”，或拨打 12345 咨询。"));
    } else if (payload.kind === "unsure") {
      say(gettext("政小云没有把握，下面是可能相关的事项；也可以点“转人工”问在线工作人员。"));
    } else {
      var first = results[0];
      var where = "";
      if (first.route && first.route.hall_needed && first.route.halls && first.route.halls.length) {
        where = gettext("，需要到窗口办理，推荐") + first.route.halls[0].name;
      } else if (first.route) {
        where = gettext("，推荐") + first.route.channel_label;
      }
      say(interpolate(gettext("找到 %(count)s 个相关事项。最可能是：%(name)s%(where)s。"), { count: results.length, name: first.name, where: where }, true));
    }
  }

  // ------------------------------------------------------------------ the conversation (政小云)

  var API = "/api/v1/assistant/conversations";
  var TOKEN_KEY = "govhall.assistant.token";
  var WHO = { citizen: gettext("我"), bot: gettext("政小云"), system: "" };
  var lastBotText = "";

  function api(method, path, body) {
    return fetch(API + path, {
      method: method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      return r
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!r.ok) {
            var error = new Error(refusal(r.status, data));
            error.status = r.status;
            throw error;
          }
          return data;
        });
    });
  }

  function remember(token) {
    try {
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* the conversation just won't survive a reload */
    }
  }

  var starting = null; // one conversation even when two actions start it at once
  function begin() {
    if (state.token) return Promise.resolve(state.token);
    if (starting) return starting;
    starting = api("POST", "", { session: sessionId() }).then(function (data) {
      starting = null;
      state.token = data.token;
      state.last = 0;
      remember(data.token);
      var greeting = chat.querySelector("li.static");
      if (greeting) greeting.remove(); // the stored greeting replaces the page's own
      absorb(data);
      return data.token;
    }, function (err) {
      starting = null;
      throw err;
    });
    return starting;
  }

  function bubble(m) {
    var who = m.sender === "staff" ? gettext("工作人员 ") + (m.staff || "") : WHO[m.sender];
    var item = el("li", { className: "msg " + m.sender, "data-id": m.id }, [
      who ? el("span", { className: "who", text: who }) : null,
      el("span", { className: "text", text: m.text }),
    ]);
    var p = m.payload || {};
    if (p.kind === "unsure" || (m.sender === "bot" && p.handoff)) {
      var b = el("button", { type: "button", className: "handoff-inline", text: gettext("转人工") });
      b.addEventListener("click", handOver);
      item.appendChild(b);
    }
    if (p.kind === "ticket") item.appendChild(el("a", { href: "/t/" + encodeURIComponent(p.ticket), text: gettext("查看我的排队 →") }));
    return item;
  }

  // every message once, in id order, from the API answers, the socket or the poll alike
  function receive(m) {
    if (m.id <= state.last) return;
    state.last = m.id;
    var pending = chat.querySelector("li.msg.pending");
    if (m.sender === "citizen" && pending) {
      pending.classList.remove("pending");
      pending.dataset.id = m.id;
      pending.querySelector(".text").textContent = m.text; // as stored: personal data masked
      return;
    }
    if (m.sender === "bot") lastBotText = m.text;
    if (pending) chat.insertBefore(bubble(m), pending);
    else chat.appendChild(bubble(m));
    chat.scrollTop = chat.scrollHeight;
    var p = m.payload || {};
    if (m.sender === "bot" && p.results) renderAnswer(p);
  }

  function absorb(data) {
    (data.messages || []).forEach(receive);
    setState(data.state, data.staff);
  }

  function setState(value, staff) {
    if (!value) return;
    state.mode = value;
    if (staffLine) {
      staffLine.hidden = !(value === "waiting" || value === "staff");
      staffLine.textContent =
        value === "staff" && staff ? interpolate(gettext("工作人员 %s 为您服务"), [staff]) : value === "waiting" ? gettext("正在为您转接人工客服，请稍候……") : "";
    }
    if (handoffBtn) handoffBtn.hidden = value !== "bot";
    if (value === "waiting" || value === "staff") live();
    if (value === "closed") {
      stopLive();
      state.token = null;
      remember(null);
    }
  }

  // ------------------------------------------------------------------ live: socket, else polling

  var socket = null;
  var poller = null;
  var retry = 1000;

  function live() {
    if (socket || !state.token || !window.WebSocket) return live.poll();
    var token = state.token;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
    try {
      socket = new WebSocket(url + "/ws/assistant/" + encodeURIComponent(token) + "/?since=" + state.last);
    } catch (e) {
      socket = null;
      return live.poll();
    }
    socket.onopen = function () {
      retry = 1000;
      if (poller) clearInterval(poller);
      poller = null;
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (token !== state.token) return;
      if (data.type === "message") receive(data.message);
      else if (data.type === "state") setState(data.state, data.staff);
    };
    socket.onclose = function () {
      socket = null;
      if (token !== state.token) return;
      live.poll();
      setTimeout(live, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  live.poll = function () {
    if (poller || !state.token) return;
    poller = setInterval(function () {
      if (!state.token) return stopLive();
      api("GET", "/" + encodeURIComponent(state.token) + "?since=" + state.last)
        .then(absorb)
        .catch(function () {
          /* try again at the next tick */
        });
    }, 3000);
  };

  function stopLive() {
    if (poller) clearInterval(poller);
    poller = null;
    if (socket) {
      var s = socket;
      socket = null;
      s.onclose = null;
      s.close();
    }
  }

  // ------------------------------------------------------------------ asking

  function ask(text, options) {
    options = options || {};
    var q = (text || "").trim();
    if (!q) {
      say(gettext("请先说说您要办什么事。"), true);
      input.focus();
      return Promise.resolve();
    }
    var seq = ++state.seq;
    if (!options.choice) {
      state.query = q;
      state.asked = null;
    } else {
      state.asked = state.query;
    }
    state.touched = false;
    chat.appendChild(el("li", { className: "msg citizen pending" }, [el("span", { className: "who", text: gettext("我") }), el("span", { className: "text", text: q })]));
    chat.scrollTop = chat.scrollHeight;
    input.value = "";
    if (!options.quiet) {
      say(gettext("政小云正在查找……"));
      list.setAttribute("aria-busy", "true");
    }
    if (!options.choice) {
      try {
        var url = new URL(window.location.href);
        url.searchParams.set("q", q);
        window.history.replaceState(null, "", url.pathname + url.search);
      } catch (e) {
        /* the address bar is only a convenience */
      }
    }
    var first = state.geo === "idle";
    var where = locate();
    return waitFor(where, first ? GEO_WAIT_MS : 0)
      .then(begin)
      .then(function () {
        var body = { text: q };
        if (options.choice) body.choice = options.choice;
        if (state.position) {
          body.lat = state.position.lat;
          body.lon = state.position.lon;
        }
        return api("POST", "/" + encodeURIComponent(state.token) + "/messages", body).catch(function (err) {
          if (err.status !== 409 && err.status !== 404) throw err;
          // the conversation was closed meanwhile (idle): start a new one and ask again
          state.token = null;
          return begin().then(function () {
            return api("POST", "/" + encodeURIComponent(state.token) + "/messages", body);
          });
        });
      })
      .then(function (data) {
        absorb(data);
        if (seq === state.seq && data.state !== "bot") {
          list.setAttribute("aria-busy", "false");
          say(data.state === "waiting" ? gettext("已转人工，请稍候。") : gettext("消息已发给工作人员。"));
        }
      })
      .catch(function () {
        if (seq !== state.seq) return;
        var pending = chat.querySelector("li.msg.pending");
        if (pending) pending.remove();
        list.setAttribute("aria-busy", "false");
        say(gettext("暂时无法回答，请检查网络后再试，或拨打 12345 咨询。"), true);
      });
  }

  function handOver() {
    return begin()
      .then(function () {
        return api("POST", "/" + encodeURIComponent(state.token) + "/handoff?since=" + state.last);
      })
      .then(absorb)
      .catch(function () {
        say(gettext("暂时无法转接人工，请稍后再试，或拨打 12345 咨询。"), true);
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value);
  });

  if (handoffBtn) handoffBtn.addEventListener("click", handOver);

  Array.prototype.forEach.call(document.querySelectorAll("[data-example]"), function (button) {
    button.addEventListener("click", function () {
      ask(button.getAttribute("data-example"));
    });
  });

  // a conversation of this tab goes on after a reload
  try {
    var kept = window.sessionStorage.getItem(TOKEN_KEY);
    if (kept) {
      state.token = kept;
      api("GET", "/" + encodeURIComponent(kept))
        .then(function (data) {
          if (data.state === "closed") {
            state.token = null;
            remember(null);
            return;
          }
          chat.textContent = "";
          absorb(data);
        })
        .catch(function () {
          state.token = null;
          remember(null);
        });
    }
  } catch (e) {
    /* no storage: every page view is a new conversation */
  }

  // a shared link /?q=… answers at once (without asking for the position unprompted)
  if (input.value.trim()) {
    state.geo = "skipped";
    geoPromise = Promise.resolve(null);
    if (geoNote) geoNote.textContent = gettext("大厅按实时等候排列。想按距离推荐，请再发送一次。");
    ask(input.value).then(function () {
      state.geo = "idle";
      geoPromise = null;
    });
  }
})();
