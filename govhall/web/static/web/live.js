/* Live hall events: the WebSocket /ws/halls/{hall}/ resumed with ?since=N, reconnecting with
   backoff, and polling a fallback while the socket is down. No dependencies. */
(function () {
  "use strict";

  function HallLive(opts) {
    this.hall = opts.hall;
    this.since = typeof opts.since === "number" ? opts.since : null;
    this.onEvent = opts.onEvent || function () {};
    this.onResync = opts.onResync || function () {};
    this.onState = opts.onState || function () {};
    this.poll = opts.poll || null;
    this.pollEvery = opts.pollEvery || 5000;
    this.attempts = 0;
    this.socket = null;
    this.pollTimer = null;
    this.retryTimer = null;
    this.heartbeat = null;
    this.lastMessage = Date.now();
    this.everOpen = false;
    this.connect();
  }

  HallLive.prototype.url = function () {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let url = scheme + location.host + "/ws/halls/" + encodeURIComponent(this.hall) + "/";
    if (this.since !== null) url += "?since=" + this.since;
    return url;
  };

  HallLive.prototype.connect = function () {
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch (e) {
      this.down();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      const reconnected = this.everOpen || this.attempts > 0;
      this.everOpen = true;
      this.attempts = 0;
      this.lastMessage = Date.now();
      this.stopPolling();
      this.onState("live");
      this.startHeartbeat();
      if (reconnected) this.onResync();
    };
    socket.onmessage = (message) => {
      this.lastMessage = Date.now();
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (event.type === "hello") {
        if (this.since === null) this.since = event.last_id;
        return;
      }
      if (event.type === "pong" || typeof event.id !== "number") return;
      if (this.since !== null && event.id <= this.since) return;
      this.since = event.id;
      try {
        this.onEvent(event);
      } catch (e) {
        /* one bad event must not stop the stream */
      }
    };
    socket.onerror = () => {
      /* onclose follows and handles it */
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.down();
    };
  };

  HallLive.prototype.down = function () {
    this.stopHeartbeat();
    this.onState("offline");
    this.startPolling();
    clearTimeout(this.retryTimer);
    const base = Math.min(30000, 1000 * Math.pow(2, this.attempts));
    this.attempts += 1;
    const delay = base * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  };

  HallLive.prototype.startHeartbeat = function () {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (Date.now() - this.lastMessage > 45000) {
        socket.close();
        return;
      }
      try {
        socket.send("ping");
      } catch (e) {
        /* closing already */
      }
    }, 20000);
  };

  HallLive.prototype.stopHeartbeat = function () {
    clearInterval(this.heartbeat);
    this.heartbeat = null;
  };

  HallLive.prototype.startPolling = function () {
    if (!this.poll || this.pollTimer) return;
    const run = () => {
      Promise.resolve()
        .then(() => this.poll())
        .catch(() => {});
    };
    run();
    this.pollTimer = setInterval(run, this.pollEvery);
  };

  HallLive.prototype.stopPolling = function () {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  };

  /* Run fn at most once per `wait` ms, at the end of a burst. */
  function debounce(fn, wait) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.content;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* fetch JSON; resolves {ok, status, data} and never throws on HTTP errors. */
  async function api(method, url, body, headers) {
    const init = { method: method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.credentials = "same-origin";
      init.body = JSON.stringify(body || {});
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      return { ok: false, status: 0, data: { detail: gettext("网络连接失败，请稍后再试") } };
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  /* A readable reason from an API error body ({"detail": "…"} or a validation list). */
  function reason(result) {
    const detail = result && result.data && result.data.detail;
    if (!detail) return interpolate(gettext("操作失败（%s）"), [result ? result.status : "?"]);
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("；");
    return JSON.stringify(detail);
  }

  function minutes(seconds) {
    if (seconds === null || seconds === undefined) return "-";
    return String(Math.max(0, Math.round(seconds / 60)));
  }

  window.Govhall = { HallLive: HallLive, debounce: debounce, api: api, reason: reason, minutes: minutes, csrfToken: csrfToken };
})();
