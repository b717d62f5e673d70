// Screening pages: the candidate's microphone check, and the template form's question filter.
// (No inline script: the pages' Content-Security-Policy allows only files from this server.)
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  const test = $("mic-test");
  if (test) {
    test.addEventListener("click", async () => {
      const status = $("mic-status");
      const bar = $("mic-level");
      test.disabled = true;
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        const Ctx = window.AudioContext || window.webkitAudioContext;
        const ctx = new Ctx();
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 1024;
        ctx.createMediaStreamSource(stream).connect(analyser);
        const data = new Float32Array(analyser.fftSize);
        let loudest = 0;
        const started = Date.now();
        status.textContent = "Listening… say a few words.";
        const tick = () => {
          analyser.getFloatTimeDomainData(data);
          let sum = 0;
          for (const x of data) sum += x * x;
          const level = Math.sqrt(sum / data.length);
          loudest = Math.max(loudest, level);
          bar.style.width = Math.min(100, Math.round(level * 400)) + "%";
          if (Date.now() - started < 5000) {
            requestAnimationFrame(tick);
            return;
          }
          stream.getTracks().forEach((t) => t.stop());
          ctx.close();
          test.disabled = false;
          document.body.dataset.mic = loudest > 0.01 ? "ok" : "quiet";
          status.textContent =
            loudest > 0.01
              ? "Your microphone works. Continue when you are ready."
              : "We heard almost nothing: check the microphone, or type your answers instead.";
        };
        tick();
      } catch (e) {
        test.disabled = false;
        document.body.dataset.mic = "none";
        status.textContent = "No microphone (" + e.name + "): you can type your answers instead.";
      }
    });
  }

  const filter = $("bank-filter");
  const bank = $("bank_ids");
  if (filter && bank) {
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const opt of bank.querySelectorAll("option")) {
        const text = opt.textContent.toLowerCase();
        opt.hidden = !opt.selected && !words.every((w) => text.includes(w));
      }
    });
  }

  // a link field selects itself whole, ready to copy
  for (const input of document.querySelectorAll("input.link")) {
    input.addEventListener("focus", () => input.select());
  }
})();
