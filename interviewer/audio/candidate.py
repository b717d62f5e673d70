"""A simulated candidate: a YAML script of answers, rendered to speech, spoken in real time.

    voice: default        # optional: a Piper voice (model name or .onnx path), or a folder of wavs
    speed: 1.0            # optional
    answers:
      - text: "At my last job [pause 1.5] I had to choose a vendor ..."
        question: "Tell me about a vendor you chose."   # optional, see below
      - wav: path/to/answer.wav

Answers are used in order, one per interviewer turn; ``[pause S]`` inserts a thinking pause of
S seconds. ``question`` says which question an answer was written for: the demo ignores it
(its questions come from the bank); ``interviewer bench``'s turn-taking section asks it. The
candidate waits for the interviewer to finish (and for its own answer to end), leaves a
human-like gap, then speaks through the virtual link. When the interviewer starts speaking
while an answer is still being spoken, that is a cut-in: the candidate counts it, and goes on
with its answer as a person who has not finished would.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from interviewer.audio.duplex import CandidateEnd
from interviewer.audio.io import load_audio, resample
from interviewer.config import Settings
from interviewer.engines.base import TTS
from interviewer.errors import ConfigError
from interviewer.types import SAMPLE_RATE, AudioArray

_PAUSE = re.compile(r"\[\s*pause\s+([0-9]*\.?[0-9]+)\s*\]", re.IGNORECASE)
MAX_PAUSE_S = 30.0
#: What the candidate says once the script has run out (e.g. to "any questions for me?").
DEFAULT_LAST_WORDS = "No, thank you. That's all from me."


@dataclass(frozen=True)
class ScriptAnswer:
    text: str | None = None
    wav: Path | None = None
    question: str | None = None

    @property
    def spoken_text(self) -> str:
        """The words without pause markers (the reference for WER against the transcript)."""
        return " ".join(_PAUSE.sub(" ", self.text or "").split())


@dataclass(frozen=True)
class CandidateScript:
    answers: tuple[ScriptAnswer, ...]
    voice: str = "default"
    speed: float = 1.0
    source: str = "<built-in>"
    last_words: str = DEFAULT_LAST_WORDS


def parse_script(data: Any, source: str, base_dir: Path | None = None) -> CandidateScript:
    """Validate a script mapping; errors name the file and the answer."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a candidate script is a mapping with an 'answers' list")
    unknown = set(data) - {"voice", "speed", "answers", "last_words"}
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    answers_raw = data.get("answers")
    if not isinstance(answers_raw, list) or not answers_raw:
        raise ConfigError(f"{source}: 'answers' must be a non-empty list")
    speed = data.get("speed", 1.0)
    if not isinstance(speed, int | float) or not 0.5 <= float(speed) <= 2.0:
        raise ConfigError(f"{source}: speed must be a number between 0.5 and 2.0")
    answers = []
    for i, item in enumerate(answers_raw, start=1):
        where = f"{source}: answers[{i}]"
        if (
            not isinstance(item, dict)
            or len(set(item) & {"text", "wav"}) != 1
            or set(item) - {"text", "wav", "question"}
        ):
            raise ConfigError(
                f"{where}: each answer is either {{text: ...}} or {{wav: path}}, with an "
                "optional question"
            )
        question = item.get("question")
        if question is not None and (not isinstance(question, str) or not question.strip()):
            raise ConfigError(f"{where}: question must be a non-empty string")
        if "text" in item:
            text = item["text"]
            if not isinstance(text, str) or not _PAUSE.sub(" ", text).strip():
                raise ConfigError(f"{where}: text must be a non-empty string")
            for m in _PAUSE.finditer(text):
                if float(m.group(1)) > MAX_PAUSE_S:
                    raise ConfigError(
                        f"{where}: pause of {m.group(1)} s is longer than {MAX_PAUSE_S} s"
                    )
            answers.append(ScriptAnswer(text=text, question=question))
        else:
            wav = Path(str(item["wav"])).expanduser()
            if not wav.is_absolute() and base_dir is not None:
                wav = base_dir / wav
            if not wav.exists():
                raise ConfigError(f"{where}: no such audio file {wav}")
            answers.append(ScriptAnswer(wav=wav, question=question))
    voice = str(data.get("voice", "default"))
    last_words = str(data.get("last_words", DEFAULT_LAST_WORDS))
    return CandidateScript(tuple(answers), voice, float(speed), source, last_words)


def load_script(path: Path) -> CandidateScript:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such candidate script") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from exc
    return parse_script(data, str(path), path.parent)


def render_text(tts: TTS, text: str) -> AudioArray:
    """Synthesize text with ``[pause S]`` markers as real silences, at 16 kHz."""
    parts: list[AudioArray] = []
    pos = 0
    for m in [*_PAUSE.finditer(text), None]:
        chunk = text[pos : m.start()] if m else text[pos:]
        if chunk.strip():
            for c in tts.synthesize(chunk):
                parts.append(resample(c.audio, c.sample_rate, SAMPLE_RATE))
                # a short breath between sentences, as people leave
                parts.append(np.zeros(int(0.18 * SAMPLE_RATE), dtype=np.float32))
        if m is not None:
            parts.append(np.zeros(int(float(m.group(1)) * SAMPLE_RATE), dtype=np.float32))
            pos = m.end()
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(parts)


@dataclass
class RenderedAnswer:
    audio: AudioArray
    text: str  # the words, for WER checks ('' for a wav clip with no transcript)


def render_script(
    script: CandidateScript, tts: TTS | None
) -> tuple[list[RenderedAnswer], RenderedAnswer]:
    """Render every answer (and the closing words) before the interview starts."""
    rendered = []
    # voice: a folder of recordings -> the i-th clip speaks the i-th text answer
    clips: list[Path] = []
    if script.voice != "default" and Path(script.voice).expanduser().is_dir():
        folder = Path(script.voice).expanduser()
        clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".wav", ".flac", ".ogg"))
        if not clips:
            raise ConfigError(
                f"{script.source}: voice folder {folder} holds no .wav/.flac/.ogg clips"
            )
    for i, ans in enumerate(script.answers):
        if ans.wav is not None:
            rendered.append(RenderedAnswer(load_audio(ans.wav), ""))
        elif i < len(clips):
            rendered.append(RenderedAnswer(load_audio(clips[i]), ans.spoken_text))
        else:
            if tts is None:
                raise ConfigError(f"{script.source}: text answers need a voice")
            rendered.append(RenderedAnswer(render_text(tts, ans.text or ""), ans.spoken_text))
    last = RenderedAnswer(
        render_text(tts, script.last_words) if tts is not None else np.zeros(0, np.float32),
        script.last_words,
    )
    return rendered, last


@dataclass(frozen=True)
class CutIn:
    """The interviewer started speaking while the candidate was still giving an answer."""

    #: which answer (0-based, in the order spoken; the closing words count too)
    answer: int
    #: seconds into the answer's audio
    at_s: float
    #: when, on the link's monotonic clock
    t: float


@dataclass
class SimulatedCandidate:
    """Speaks rendered answers into the link, one per interviewer turn."""

    end: CandidateEnd
    answers: list[RenderedAnswer]
    last_words: RenderedAnswer
    #: seconds between the interviewer's last sound and the candidate's first (human-like gap)
    gap_s: float = 0.7
    spoken: list[str] = field(default_factory=list)
    cut_ins: list[CutIn] = field(default_factory=list)
    #: (start, end) of every answer's audio on the link's clock, in the order spoken
    spans: list[tuple[float, float]] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _turns: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def your_turn(self) -> None:
        """Called when the interviewer has finished a reply that expects an answer."""
        self._turns.release()

    def start(self, now: Callable[[], float]) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(now,), name="candidate", daemon=True
        )
        self._thread.start()

    def _run(self, now: Callable[[], float]) -> None:
        idx = 0
        while not self._stop.is_set():
            if not self._turns.acquire(timeout=0.1):
                continue
            # wait until the interviewer's voice has actually stopped (and the candidate's own
            # answer, when it was cut into), then a human gap
            while not self._stop.is_set() and (
                not self.end.done_speaking.is_set() or now() < self.end.heard_until + self.gap_s
            ):
                self._stop.wait(0.02)
            if self._stop.is_set():
                return
            answer = self.answers[idx] if idx < len(self.answers) else self.last_words
            self.spoken.append(answer.text)
            self._speak(idx, answer, now)
            idx += 1

    def _speak(self, idx: int, answer: RenderedAnswer, now: Callable[[], float]) -> None:
        """Start an answer and watch for the interviewer's voice until it has been spoken."""
        started = now()
        self.spans.append((started, started + len(answer.audio) / SAMPLE_RATE))
        self.end.speak(answer.audio)
        # the queue empties when the last block goes out: poll that, not a sleep of its length
        while not self._stop.is_set() and not self.end.done_speaking.is_set():
            if self.end.heard_until > started + 0.05:
                at = self.end.heard_until
                self.cut_ins.append(CutIn(idx, round(at - started, 2), at))
                # the answer goes on: the rest of it is what a cut-in loses
                self.end.done_speaking.wait()
                return
            self._stop.wait(0.02)

    def stop(self) -> None:
        self._stop.set()
        self.end.stop_speaking()
        if self._thread is not None:
            self._thread.join(timeout=2)


# Thinking pauses sit where people make them: after an unfinished clause or a filler, which the
# endpointing must wait through, not after a finished sentence (which would end the turn).
DEFAULT_SCRIPT = {
    "answers": [
        {
            "text": "Sure. At my last job, [pause 1.2] I led a project to cut our cloud costs. "
            "I profiled our data pipelines, moved cold data to cheaper storage, and we saved "
            "about thirty percent in three months."
        },
        {
            "text": "I measured it against the previous quarter's bill, and I shared a weekly "
            "dashboard with the team so everyone could see the savings."
        },
        {
            "text": "Once, a colleague and I disagreed about a deadline, and [pause 1.0] I set up "
            "a short meeting. We listed the risks together, and we agreed to ship a smaller "
            "first version on time."
        },
        {
            "text": "The smaller version shipped on time, and the rest followed two weeks later. "
            "I learned to raise risks early."
        },
        {
            "text": "Um, [pause 1.5] in my first year I missed a deadline because I underestimated "
            "the data cleaning. I told my manager early, cut the scope, and delivered the core "
            "analysis a week later."
        },
        {
            "text": "Since then I plan a buffer for data work and share progress every week, and "
            "my estimates have been much closer."
        },
    ]
}


#: The interviewer speaks at Piper's default settings; the candidate a little faster and with
#: more variation, so the two voices are told apart in the recording.
CANDIDATE_SPEED = 1.1
CANDIDATE_NOISE = 0.8
CANDIDATE_NOISE_W = 0.9


def candidate_voice(
    settings: Settings, script: CandidateScript | None, seed: int | None = None
) -> Any:
    """The candidate's Piper voice: the script's ``voice`` (a model name or path), else the
    interviewer's model, at a different speed and noise so the two are told apart.

    Piper's noise is drawn inside the ONNX graph, from a generator each session seeds when it
    is built. With ``seed`` the same script renders to the same audio, so a run can be
    repeated: the answers differ by how they are heard, not by how they were spoken."""
    from dataclasses import replace

    from interviewer import engines

    if seed is not None:
        import onnxruntime

        onnxruntime.set_seed(seed)

    voice = script.voice if script is not None else "default"
    speed = CANDIDATE_SPEED * (script.speed if script is not None else 1.0)
    use = settings if voice == "default" or Path(voice).is_dir() else replace(settings, tts=voice)
    return engines.load_tts(
        use, speed=speed, noise_scale=CANDIDATE_NOISE, noise_w_scale=CANDIDATE_NOISE_W
    )
