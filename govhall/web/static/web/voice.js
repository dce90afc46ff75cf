/* Spoken calls: the browser's Chinese voice when it has one, else audio made by the server.
   A browser that refuses to speak or play before a tap (autoplay policy) gets a visible
   "点击开启语音" control instead of an error. */
(function () {
  "use strict";

  function Voice(opts) {
    this.control = opts.control; // the button shown when sound needs a tap
    this.audioUrl = opts.audioUrl; // (number, windowLabel) → URL of server-made audio
    this.queue = [];
    this.busy = false;
    this.blocked = false;
    this.useAudio = !("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined";
    this.control.addEventListener("click", () => this.unlock());
    if (!this.useAudio) {
      const pick = () => this.pickVoice();
      pick();
      if (typeof speechSynthesis.addEventListener === "function") speechSynthesis.addEventListener("voiceschanged", pick);
    }
  }

  Voice.prototype.pickVoice = function () {
    const voices = speechSynthesis.getVoices() || [];
    this.voice = voices.find((v) => /^zh[-_]CN/i.test(v.lang)) || voices.find((v) => /^(zh|cmn)/i.test(v.lang)) || null;
    // voices listed but none Chinese: the server speaks instead
    if (voices.length && !this.voice) this.useAudio = true;
  };

  /* Announce one call: "请A001号到3号窗口办理". */
  Voice.prototype.announce = function (number, windowLabel) {
    const item = { text: "请" + number + "号到" + windowLabel + "办理", number: number, window: windowLabel, at: Date.now() };
    this.queue.push(item);
    if (this.queue.length > 3) this.queue.splice(0, this.queue.length - 3); // after an outage: only the latest
    this.pump();
  };

  Voice.prototype.pump = function () {
    if (this.busy || this.blocked || !this.queue.length) return;
    const item = this.queue[0];
    if (Date.now() - item.at > 120000) {
      this.queue.shift();
      this.pump();
      return;
    }
    this.busy = true;
    const finish = (ok) => {
      this.busy = false;
      if (ok !== "blocked") this.queue.shift();
      setTimeout(() => this.pump(), 300);
    };
    if (this.useAudio) this.play(item, finish);
    else this.speak(item, finish);
  };

  Voice.prototype.speak = function (item, finish) {
    let settled = false;
    const settle = (how) => {
      if (!settled) {
        settled = true;
        clearTimeout(guard);
        finish(how);
      }
    };
    const utterance = new SpeechSynthesisUtterance(item.text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    if (this.voice) utterance.voice = this.voice;
    utterance.onend = () => settle("ok");
    utterance.onerror = (event) => {
      const error = event && event.error;
      if (error === "not-allowed") {
        this.block();
        settle("blocked");
      } else if (error === "interrupted" || error === "canceled") {
        settle("ok");
      } else {
        // no engine or no voice on this machine: let the server speak from now on
        this.useAudio = true;
        this.busy = false;
        settled = true;
        clearTimeout(guard);
        this.play(item, finish);
      }
    };
    const guard = setTimeout(() => settle("ok"), 15000);
    try {
      speechSynthesis.speak(utterance);
    } catch (e) {
      this.useAudio = true;
      settled = true;
      clearTimeout(guard);
      this.play(item, finish);
    }
  };

  Voice.prototype.play = function (item, finish) {
    this.busy = true;
    let audio;
    try {
      audio = new Audio(this.audioUrl(item.number, item.window));
    } catch (e) {
      finish("ok");
      return;
    }
    let settled = false;
    const settle = (how) => {
      if (!settled) {
        settled = true;
        finish(how);
      }
    };
    audio.addEventListener("ended", () => settle("ok"));
    audio.addEventListener("error", () => settle("ok")); // no audio either: the screen still shows it
    let started;
    try {
      started = audio.play();
    } catch (e) {
      settle("ok");
      return;
    }
    if (started && typeof started.catch === "function") {
      started.catch((error) => {
        if (error && error.name === "NotAllowedError") {
          this.block();
          settle("blocked");
        } else {
          settle("ok");
        }
      });
    }
  };

  Voice.prototype.block = function () {
    this.blocked = true;
    this.control.hidden = false;
  };

  /* Runs inside the tap: the browser now lets the page speak. */
  Voice.prototype.unlock = function () {
    this.blocked = false;
    this.control.hidden = true;
    if (!this.queue.length && !this.useAudio) {
      try {
        const hello = new SpeechSynthesisUtterance("语音播报已开启");
        hello.lang = "zh-CN";
        if (this.voice) hello.voice = this.voice;
        hello.onerror = () => {};
        speechSynthesis.speak(hello);
      } catch (e) {
        /* nothing to say */
      }
    }
    this.pump();
  };

  window.GovhallVoice = Voice;
})();
