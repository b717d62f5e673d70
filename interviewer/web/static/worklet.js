// Audio worklets of the interview page (they run on the browser's audio thread).
//
// pcm-capture: microphone at the context's rate -> 16 kHz mono int16, posted in 512-sample
//   blocks (32 ms, the server's block and VAD frame) as transferable ArrayBuffers.
// pcm-player:  16 kHz int16 from the server -> the context's rate, queued and played as it
//   arrives; "flush" drops what is queued (the candidate talked over the interviewer).

const WIRE_RATE = 16000;
const BLOCK = 512;

class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / WIRE_RATE; // input samples per output sample
    this.pos = 0; // fractional read position into the current input
    this.acc = 0; // box filter over the input samples of one output sample
    this.accN = 0;
    this.out = new Int16Array(BLOCK);
    this.outN = 0;
    this.level = 0;
    this.levelN = 0;
  }

  push(x) {
    const v = Math.max(-1, Math.min(1, x));
    this.out[this.outN++] = v < 0 ? v * 32768 : v * 32767;
    this.level = Math.max(this.level, Math.abs(v));
    if (this.outN === BLOCK) {
      const buf = this.out.buffer;
      this.port.postMessage({ pcm: buf, level: this.level }, [buf]);
      this.out = new Int16Array(BLOCK);
      this.outN = 0;
      this.level = 0;
    }
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    if (this.step === 1) {
      for (let i = 0; i < input.length; i++) this.push(input[i]);
      return true;
    }
    // Downsampling: average the input samples that fall in each output sample (a box
    // low-pass), enough against aliasing for speech at 48 -> 16 kHz.
    for (let i = 0; i < input.length; i++) {
      this.acc += input[i];
      this.accN++;
      this.pos += 1;
      if (this.pos >= this.step) {
        this.pos -= this.step;
        this.push(this.acc / this.accN);
        this.acc = 0;
        this.accN = 0;
      }
    }
    return true;
  }
}

class PcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = WIRE_RATE / sampleRate; // wire samples per output sample
    this.chunks = []; // Float32Array pieces at 16 kHz
    this.offset = 0; // read position (fractional) in chunks[0]
    this.queued = 0;
    this.playing = false;
    this.waited = 0;
    this.port.onmessage = (e) => {
      if (e.data === "flush") {
        this.chunks = [];
        this.offset = 0;
        this.queued = 0;
        this.playing = false;
        return;
      }
      const pcm = new Int16Array(e.data);
      const f = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) f[i] = pcm[i] / 32768;
      this.chunks.push(f);
      this.queued += f.length;
    };
  }

  sample() {
    while (this.chunks.length && this.offset >= this.chunks[0].length) {
      this.offset -= this.chunks[0].length;
      this.queued -= this.chunks[0].length;
      this.chunks.shift();
    }
    if (!this.chunks.length) return null;
    const c = this.chunks[0];
    const i = Math.floor(this.offset);
    const frac = this.offset - i;
    const a = c[i];
    const b = i + 1 < c.length ? c[i + 1] : this.chunks.length > 1 ? this.chunks[1][0] : a;
    this.offset += this.step;
    return a + (b - a) * frac;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing) {
      // Start with ~64 ms queued (or after 100 ms of waiting), so network jitter does not
      // turn into clicks at the start of each reply.
      if (this.queued >= 1024 || (this.queued > 0 && this.waited > 0.1 * sampleRate)) {
        this.playing = true;
        this.waited = 0;
      } else {
        if (this.queued > 0) this.waited += out.length;
        out.fill(0);
        return true;
      }
    }
    for (let i = 0; i < out.length; i++) {
      const s = this.sample();
      if (s === null) {
        out.fill(0, i);
        this.playing = false;
        break;
      }
      out[i] = s;
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
registerProcessor("pcm-player", PcmPlayer);
