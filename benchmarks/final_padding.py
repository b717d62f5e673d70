"""What the speculative final hears with digital silence after it, on the turn set.

    .venv/bin/python benchmarks/final_padding.py [--pads 0,0.4,0.8] [--out FILE]

Renders every answer of ``benchmarks/data/turns/`` with and without its thinking pauses (the
scripts' own voice and speed, seeded), finds each pause the endpointer sees (>= 0.3 s), and
decodes the piece that ends at the pause's first silent frame the way the live transcriber
does: from the pause before (a committed piece) and from the one before that (a piece the
transcriber held longer, as when the pause between was too short to commit). Each piece is
decoded with each amount of zeros appended. Reported per padding: the reference words the
pieces heard (in order, summed over the pieces) and the other words they wrote (misheard or
invented), and the answer ends whose last word was heard. The transcriber uses
``FINAL_PAD_S``; this is the figure behind it. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

import numpy as np

from interviewer.audio.candidate import render_text
from interviewer.bench.turns import _voice_loader, load_turn_set
from interviewer.bench.turns_replay import FRAME, PAUSE_RE, _long_pauses
from interviewer.config import Settings
from interviewer.context import Engines
from interviewer.metrics import normalize_text
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.types import SAMPLE_RATE


def _words(text: str) -> list[str]:
    return normalize_text(text).split()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pads", default="0,0.4,0.8", help="seconds of zeros, comma-separated")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = ap.parse_args()
    pads = [float(p) for p in args.pads.split(",")]

    eng = Engines(Settings(vad="embedded", stt="embedded", llm="embedded", tts="embedded"))
    voice = _voice_loader(eng)
    threshold = EndpointConfig().threshold
    figures = {p: {"heard": 0, "other": 0, "pieces": 0, "ends": 0, "last_word": 0} for p in pads}
    for script in load_turn_set():
        tts = voice(script)
        for ans in script.answers:
            for paused in (True, False):
                text = ans.text or ""
                spoken = text if paused else PAUSE_RE.sub(" ", text)
                audio = np.concatenate(
                    [render_text(tts, spoken), np.zeros(5 * SAMPLE_RATE, np.float32)]
                )
                eng.vad.reset()
                probs = [
                    float(eng.vad.speech_prob(audio[k * FRAME : (k + 1) * FRAME]))
                    for k in range(len(audio) // FRAME)
                ]
                ref = _words(PAUSE_RE.sub(" ", text))
                pauses = _long_pauses(probs, threshold)
                cuts = [0]
                for j, (start, _) in enumerate(pauses):
                    upto = start * FRAME
                    for back in (1, 2):
                        if len(cuts) < back:
                            continue
                        for pad in pads:
                            piece = np.concatenate(
                                [audio[cuts[-back] : upto], np.zeros(int(pad * SAMPLE_RATE))]
                            ).astype(np.float32)
                            got = _words(eng.stt.transcribe(piece, word_timestamps=False).text)
                            blocks = difflib.SequenceMatcher(
                                None, got, ref, autojunk=False
                            ).get_matching_blocks()
                            heard = sum(b.size for b in blocks)
                            f = figures[pad]
                            f["heard"] += heard
                            f["other"] += len(got) - heard
                            f["pieces"] += 1
                            if j == len(pauses) - 1:
                                f["ends"] += 1
                                f["last_word"] += bool(got) and got[-1] == ref[-1]
                    cuts.append(upto)
        print(f"{Path(script.source).stem}: done", flush=True)
    for pad, f in figures.items():
        print(
            f"pad {pad:.1f} s: {f['pieces']} pieces, reference words heard {f['heard']}, "
            f"other words {f['other']}, last word of the answer heard at "
            f"{f['last_word']}/{f['ends']} ends"
        )
    if args.out is not None:
        args.out.write_text(json.dumps({str(p): f for p, f in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
