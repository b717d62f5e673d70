// The interview page: microphone -> WebSocket -> server pipeline -> voice and captions back.
// Protocol (docs/web.md): binary messages are 16 kHz mono int16 PCM both ways; text messages
// are JSON ({type: "state" | "caption" | "revise" | "session" | "saved" | "flush" | "continues" |
// "notice" | "error"}). Turn-taking shows in the captions: a "Take your time." nudge is an aside
// that leaves the answer open, a reply the candidate talked over is marked as cut short, and
// when the server says the answer continues ("continues"), the rest joins that same answer.
"use strict";

(() => {
  const root = document.getElementById("interview");
  if (!root) return;
  const ticket = root.dataset.ticket;
  // screening mode: the invitation's own socket, and a thank-you page instead of the report
  const socketPath = root.dataset.ws || "/ws/interview/" + encodeURIComponent(ticket);
  const doneUrl = root.dataset.done || null;
  const $ = (id) => document.getElementById(id);
  const stateBox = $("state");
  const stateLabel = $("state-label");
  const captions = $("captions");
  const liveCaption = $("live-caption");
  const notice = $("notice");
  const controls = ["repeat", "skip", "pause", "end", "typed-text", "send"].map($);
  const LABELS = {
    ready: "ready",
    connecting: "connecting…",
    loading: "loading models…",
    speaking: "interviewer speaking",
    listening: "listening",
    hearing: "hearing you",
    thinking: "thinking",
    paused: "paused: take your time",
    saving: "saving…",
    ended: "ended",
    disconnected: "disconnected",
  };

  let ws = null;
  let ctx = null;
  let player = null;
  let stream = null;
  let sessionId = null;
  let ended = false;
  let paused = false;
  let current = null; // the caption item being added to (one per speaker turn)
  let continuing = null; // the candidate's item that the next final replaces (after a yield)
  let hasMic = false;
  let lastHold = 0;
  let holdTimer = null;

  // Typing an answer (or having no microphone) is not silence: ask the server not to time
  // out the turn. It lasts 30 s on the server; refreshed at most every 2 s while typing.
  function hold() {
    const now = Date.now();
    if (now - lastHold < 2000) return;
    lastHold = now;
    send({ type: "hold" });
  }

  function setState(state, detail) {
    if (paused && (state === "listening" || state === "speaking")) state = "paused";
    stateBox.dataset.state = state;
    stateLabel.textContent = detail || LABELS[state] || state;
  }

  function showNotice(text, isError) {
    notice.hidden = false;
    notice.textContent = text;
    notice.classList.toggle("error", !!isError);
  }

  function note(item, text) {
    const tag = document.createElement("span");
    tag.className = "note";
    tag.textContent = text;
    item.append(tag);
  }

  // "Take your time.": said into a pause, so it must not close the candidate's turn
  function aside(text) {
    const item = document.createElement("li");
    item.className = "aside";
    item.textContent = text;
    captions.append(item);
    captions.scrollTop = captions.scrollHeight;
  }

  // The candidate talked over the interviewer: its sentence was cut short (voice stopped).
  function cutShort() {
    if (!current || current.dataset.who !== "interviewer" || current.dataset.cut) return;
    current.dataset.cut = "1";
    current.classList.add("cut");
    note(current, "stopped to listen");
  }

  // The reply was withdrawn and the answer goes on: the answer's caption moves below the cut
  // reply, and the next final text (the whole answer) replaces its words.
  function answerContinues() {
    const items = captions.querySelectorAll("li.candidate");
    const last = items[items.length - 1];
    if (!last) return;
    if (current && current.dataset.who === "interviewer") {
      current.classList.add("withdrawn");
      current.querySelector(".note")?.remove();
      note(current, "withdrawn: your answer goes on");
    }
    captions.append(last);
    current = last;
    continuing = last;
    captions.scrollTop = captions.scrollHeight;
  }

  function caption(who, text, final) {
    if (!final) {
      liveCaption.textContent = text;
      return;
    }
    liveCaption.textContent = "";
    if (who === "candidate" && continuing) {
      const pieces = continuing.querySelectorAll(".text .turn");
      const last = pieces[pieces.length - 1];
      continuing = null;
      if (last) {
        last.textContent = (last.previousElementSibling ? " " : "") + text;
        current = last.closest("li");
        captions.scrollTop = captions.scrollHeight;
        return;
      }
    }
    if (!current || current.dataset.who !== who) {
      current = document.createElement("li");
      current.dataset.who = who;
      current.className = who;
      const name = document.createElement("span");
      name.className = "who";
      name.textContent = who === "interviewer" ? "Interviewer" : "You";
      const body = document.createElement("span");
      body.className = "text";
      current.append(name, body);
      captions.append(current);
    }
    const body = current.querySelector(".text");
    // one span per turn, so a revision replaces only its own turn's words
    const piece = document.createElement("span");
    piece.className = "turn";
    piece.textContent = (body.childElementCount ? " " : "") + text;
    body.append(piece);
    captions.scrollTop = captions.scrollHeight;
  }

  function revise(who, text) {
    const pieces = captions.querySelectorAll("li." + who + " .text .turn");
    const last = pieces[pieces.length - 1];
    if (last) last.textContent = (last.previousElementSibling ? " " : "") + text;
  }

  function enable(on) {
    for (const el of controls) el.disabled = !on;
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function finish(status) {
    ended = true;
    enable(false);
    setState("ended", status === "finished" ? "finished" : status || "ended");
    clearInterval(holdTimer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    // the closing words may still be in the player's queue
    if (ctx) setTimeout(() => ctx.close(), 1000);
    if (doneUrl) {
      $("report-link").href = doneUrl;
      $("done").hidden = false;
    } else if (sessionId) {
      $("report-link").href = "/report/" + sessionId;
      $("done").hidden = false;
    }
  }

  function onMessage(msg) {
    switch (msg.type) {
      case "state":
        if (msg.state === "ended") {
          finish(msg.status);
          return;
        }
        if (msg.state === "hearing") paused = false;
        setState(msg.state, msg.detail || null);
        clearInterval(holdTimer);
        if (!hasMic && msg.state === "listening") {
          lastHold = 0;
          hold();
          holdTimer = setInterval(() => {
            lastHold = 0;
            hold();
          }, 20000);
        }
        break;
      case "session":
        sessionId = msg.id;
        root.dataset.session = msg.id;
        break;
      case "caption":
        if (msg.who === "interviewer" && msg.kind === "nudge") {
          aside(msg.text);
          break;
        }
        if (msg.who === "interviewer") continuing = null;
        caption(msg.who, msg.text, msg.final);
        if (msg.who === "candidate" && msg.final) paused = false;
        break;
      case "revise":
        revise(msg.who, msg.text);
        break;
      case "flush":
        if (player) player.port.postMessage("flush");
        cutShort();
        break;
      case "continues":
        answerContinues();
        break;
      case "saved":
        root.dataset.saved = String(msg.turns);
        break;
      case "notice":
        showNotice(msg.message, false);
        break;
      case "error":
        showNotice(msg.message, true);
        break;
    }
  }

  async function makeContext(rate) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    const c = rate ? new Ctx({ sampleRate: rate }) : new Ctx();
    await c.audioWorklet.addModule("/static/worklet.js");
    return c;
  }

  async function openAudio() {
    try {
      // 16 kHz like the wire: the browser resamples the microphone and the output for us
      ctx = await makeContext(16000);
    } catch (e) {
      ctx = await makeContext(0); // the worklets resample when the context keeps its own rate
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          channelCount: 1,
          // the interviewer's voice must not come back as the candidate's speech
          echoCancellation: true,
          noiseSuppression: true,
          autoGainControl: true,
        },
      });
    } catch (e) {
      stream = null;
      showNotice("No microphone (" + e.name + "): answer in the text box below.", false);
    }
    let mic = null;
    if (stream) {
      try {
        mic = ctx.createMediaStreamSource(stream);
      } catch (e) {
        // Firefox will not connect a microphone to a context of another rate
        ctx.close();
        ctx = await makeContext(0);
        mic = ctx.createMediaStreamSource(stream);
      }
    }
    player = new AudioWorkletNode(ctx, "pcm-player", { outputChannelCount: [1] });
    player.connect(ctx.destination);
    if (!mic) return;
    hasMic = true;
    const capture = new AudioWorkletNode(ctx, "pcm-capture");
    const sink = ctx.createGain(); // keeps the capture node pulled, silently
    sink.gain.value = 0;
    mic.connect(capture).connect(sink).connect(ctx.destination);
    const bar = $("meter-bar");
    capture.port.onmessage = (e) => {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(e.data.pcm);
      bar.style.width = Math.min(100, Math.round(e.data.level * 140)) + "%";
    };
  }

  async function start() {
    $("start").disabled = true;
    setState("connecting");
    try {
      await openAudio();
    } catch (e) {
      showNotice("Audio could not start (" + e + "); answer in the text box below.", true);
    }
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + socketPath);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      $("start-box").hidden = true;
      enable(true);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") onMessage(JSON.parse(ev.data));
      else if (player) player.port.postMessage(ev.data, [ev.data]);
    };
    ws.onclose = () => {
      if (!ended) {
        enable(false);
        setState("disconnected");
        showNotice(
          root.dataset.dropped ||
            "Connection closed. Your answers so far are saved" +
              (sessionId ? "; the interview is marked interrupted." : "."),
          true,
        );
        if (sessionId && !doneUrl) {
          $("report-link").href = "/report/" + sessionId;
          $("done").hidden = false;
        }
      }
    };
  }

  $("start").addEventListener("click", start);
  for (const name of ["repeat", "skip", "pause", "end"]) {
    $(name).addEventListener("click", () => {
      if (name === "pause") paused = true;
      send({ type: "command", name });
    });
  }
  $("typed-text").addEventListener("input", hold);
  $("typed").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("typed-text");
    const text = input.value.trim();
    if (!text) return;
    send({ type: "text", text });
    input.value = "";
  });
})();
