/* 远程帮办 session page: WebRTC peer to peer (no STUN/TURN: iceServers is empty), signalling and
   chat over /ws/remotehelp/{session}/. The window side always makes the offer; the point answers.
   Without a camera (or if the user refuses it) the session still works with materials and chat. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("rh-data").textContent);
  const side = data.side;
  const conn = document.getElementById("rh-conn");
  const notice = document.getElementById("rh-notice");
  const remoteVideo = document.getElementById("rh-remote");
  const localVideo = document.getElementById("rh-local");
  const chatList = document.getElementById("rh-chat");
  const chatForm = document.getElementById("rh-chat-form");
  const chatText = document.getElementById("rh-chat-text");
  const materials = document.getElementById("rh-materials");
  const status = document.getElementById("rh-status");
  const RTC_CONFIG = { iceServers: [] };
  const STATES = { new: gettext("正在连接"), connecting: gettext("正在连接"), connected: gettext("已连接"), disconnected: gettext("连接中断"), failed: gettext("连接失败"), closed: gettext("已关闭") };

  let last = data.lastId;
  let socket = null;
  let retry = 500;
  let peer = null;
  let offerNo = 0;
  let pending = [];
  let localStream = null;
  let finished = false;

  function say(text, kind) {
    notice.textContent = text;
    notice.className = "notice-bar " + (kind || "info");
    notice.hidden = !text;
  }

  const media = (navigator.mediaDevices && navigator.mediaDevices.getUserMedia
    ? navigator.mediaDevices.getUserMedia({ video: true, audio: true })
    : Promise.reject(new Error("no mediaDevices"))
  ).then(function (stream) {
    localStream = stream;
    localVideo.srcObject = stream;
  }).catch(function () {
    say(gettext("未能打开摄像头或麦克风：仍可通过上传材料和文字消息继续办理。"), "info");
  });

  /* Autoplay with sound needs a user gesture: without one, play muted and offer a button. */
  function play() {
    remoteVideo.play().catch(function () {
      remoteVideo.muted = true;
      document.getElementById("rh-sound").hidden = false;
      remoteVideo.play().catch(function () { /* shown once the stream has frames */ });
    });
  }

  document.getElementById("rh-unmute").addEventListener("click", function () {
    remoteVideo.muted = false;
    remoteVideo.play().catch(function () { remoteVideo.muted = true; });
    document.getElementById("rh-sound").hidden = true;
  });

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function signal(payload) {
    send({ type: "signal", data: payload });
  }

  function newPeer(n) {
    if (peer) peer.close();
    pending = [];
    const pc = new RTCPeerConnection(RTC_CONFIG);
    peer = pc;
    window.rhPeer = pc;
    if (localStream) {
      localStream.getTracks().forEach(function (track) { pc.addTrack(track, localStream); });
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    pc.onicecandidate = function (event) {
      if (event.candidate) signal({ kind: "ice", n: n, candidate: event.candidate.toJSON() });
    };
    pc.ontrack = function (event) {
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (remoteVideo.srcObject !== stream) {
        remoteVideo.srcObject = stream;
        play();
      }
    };
    pc.onconnectionstatechange = function () {
      if (pc !== peer) return;
      conn.textContent = STATES[pc.connectionState] || pc.connectionState;
      conn.dataset.state = pc.connectionState;
    };
    return pc;
  }

  async function offer() {
    await media;
    offerNo += 1;
    const n = offerNo;
    const pc = newPeer(n);
    const description = await pc.createOffer();
    await pc.setLocalDescription(description);
    signal({ kind: "offer", n: n, sdp: pc.localDescription.sdp });
  }

  async function answer(message) {
    await media;
    offerNo = message.n;
    const pc = newPeer(message.n);
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    await flushCandidates(pc);
    const description = await pc.createAnswer();
    await pc.setLocalDescription(description);
    signal({ kind: "answer", n: message.n, sdp: pc.localDescription.sdp });
  }

  async function flushCandidates(pc) {
    const queued = pending;
    pending = [];
    for (const candidate of queued) {
      try { await pc.addIceCandidate(candidate); } catch (e) { /* a candidate of an older offer */ }
    }
  }

  async function onSignal(from, message) {
    if (!message || from === side) return;
    try {
      if (message.kind === "hello") {
        if (side === "window") await offer(); else signal({ kind: "here" });
      } else if (message.kind === "here") {
        if (side === "window") await offer();
      } else if (message.kind === "offer" && side === "point") {
        await answer(message);
      } else if (message.kind === "answer" && side === "window") {
        if (peer && message.n === offerNo && peer.signalingState === "have-local-offer") {
          await peer.setRemoteDescription({ type: "answer", sdp: message.sdp });
          await flushCandidates(peer);
        }
      } else if (message.kind === "ice" && message.n === offerNo && peer) {
        if (peer.remoteDescription) {
          try { await peer.addIceCandidate(message.candidate); } catch (e) { /* stale */ }
        } else {
          pending.push(message.candidate);
        }
      }
    } catch (error) {
      say(gettext("视频连接出错：") + error.message + gettext("。可继续使用材料和文字消息。"), "error");
    }
  }

  function addChat(message) {
    const item = document.createElement("li");
    item.className = message.side;
    const who = document.createElement("span");
    who.className = "muted";
    who.textContent = message.side === "point" ? gettext("代办点") : gettext("窗口");
    item.append(who, " ", message.text);
    chatList.append(item);
    chatList.scrollTop = chatList.scrollHeight;
  }

  function addMaterial(message) {
    const empty = document.getElementById("rh-no-materials");
    if (empty) empty.remove();
    const detail = message.detail || {};
    const url = "/remotehelp/sessions/" + data.session + "/materials/" + detail.material;
    if (materials.querySelector('a[href="' + url + '"]')) return;
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    if (detail.type !== "application/pdf") {
      const image = document.createElement("img");
      image.src = url;
      image.alt = message.text;
      link.append(image);
    }
    link.append(message.text);
    item.append(link);
    materials.append(item);
    const count = document.getElementById("rh-material-count");
    count.textContent = String(materials.querySelectorAll("a").length);
  }

  function onMessage(message) {
    if (message.id && message.id > last) last = message.id;
    if (message.type === "signal") onSignal(message.from, message.data);
    else if (message.type === "chat") addChat(message);
    else if (message.type === "material") addMaterial(message);
    else if (message.type === "accepted") {
      status.textContent = gettext("视频办理中");
      const wait = document.getElementById("rh-wait");
      if (wait) wait.remove();
    } else if (message.type === "closed") {
      finished = true;
      if (peer) peer.close();
      if (localStream) localStream.getTracks().forEach(function (t) { t.stop(); });
      window.location.reload();
    } else if (message.type === "error") say(message.detail, "error");
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + window.location.host + "/ws/remotehelp/" + data.session + "/?since=" + last);
    socket.onopen = function () {
      retry = 500;
      signal({ kind: "hello" });
    };
    socket.onmessage = function (event) {
      try { onMessage(JSON.parse(event.data)); } catch (e) { /* not for us */ }
    };
    socket.onclose = function (event) {
      if (finished) return;
      if (event.code === 4403) {
        say(gettext("无权加入该会话。"), "error");
        return;
      }
      conn.textContent = gettext("实时连接中断，正在重连…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  if (chatForm) {
    chatForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      const text = chatText.value.trim();
      if (!text) return;
      if (send({ type: "chat", text: text })) {
        chatText.value = "";
        return;
      }
      const reply = await window.Govhall.api("POST", "/api/v1/remotehelp/sessions/" + data.session + "/chat", { text: text });
      if (reply.ok) {
        chatText.value = "";
        addChat(reply.data);
      } else {
        say(window.Govhall.reason ? window.Govhall.reason(reply) : gettext("发送失败"), "error");
      }
    });
  }

  connect();
})();
