"""Turn-taking: when has the candidate started, paused, resumed and finished speaking?

Pure logic, fed one VAD probability per 32 ms frame with the frame's capture time, so it is
tested on scripted probabilities without audio. The policy does not cut in during a thinking
pause: a pause that follows a filler ("um", "so") or an unfinished clause ("and", "because",
a trailing comma) must last longer before the turn ends, and the text of the speech before the
pause comes from a speculative STT pass started the moment the silence began.

With ``turn_model="predict"`` (the default) the wait comes from :mod:`turn_end`, which also
weighs how complete the answer is for the question and the prosody at the pause, since
Whisper closes most pauses with a period; ``"rules"`` keeps the punctuation-only policy.
When the prediction stays unsure through the longest wait, the endpointer asks for a gentle
nudge (a ``nudge`` event) and keeps listening instead of ending the turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from interviewer.pipeline.turn_end import (
    Prosody,
    TurnDecision,
    TurnEndConfig,
    TurnEvidence,
    predict,
)
from interviewer.text import HESITATIONS

EventKind = Literal[
    "speech_start", "pause", "resume", "end_of_turn", "timeout", "barge_in", "nudge"
]

# Words after which a speaker usually goes on: a pause here is a thinking pause.
TRAILING_CONTINUATIONS = {
    "um", "uh", "erm", "er", "hmm", "mm", "so", "and", "but", "or", "because", "like", "well",
    "then", "the", "a", "an", "to", "of", "with", "for", "that", "which", "if", "when", "my",
    "our", "we", "i", "is", "was", "were", "are", "also", "actually", "basically", "cause",
}  # fmt: skip


def ends_unfinished(text: str) -> bool:
    """True when ``text`` ends with a filler, a conjunction or a comma: more is coming."""
    t = text.strip().lower()
    if not t:
        return False
    if t.endswith((",", "-", "—", "...", "…", ":")):
        return True
    words = re.findall(r"[a-z']+", t)
    # Whisper writes a lone hesitation as a sentence ("Um."): the period does not end it
    if words and words[-1] in HESITATIONS:
        return True
    return bool(words) and words[-1] in TRAILING_CONTINUATIONS and not t.endswith((".", "?", "!"))


def tail_kind(text: str) -> Literal["finished", "unfinished", "uncertain"]:
    """How the speech before a pause ends, for choosing how long to wait.

    Whisper closes a complete sentence with ., ? or !; text that trails off without one ("at
    my last job") is probably mid-thought even when its last word is not a filler.
    """
    t = text.strip()
    if not t or ends_unfinished(t):
        return "unfinished" if t else "uncertain"
    if t.endswith((".", "?", "!", '."', '?"', '!"')):
        return "finished"
    return "uncertain"


@dataclass(frozen=True)
class EndpointConfig:
    threshold: float = 0.5
    #: voiced time before a turn counts as speech (shorter blips are ignored)
    min_speech_s: float = 0.2
    #: audio kept from before the detected start, so the first syllable is not lost
    pre_roll_s: float = 0.3
    #: silence that ends a turn after a finished sentence
    silence_s: float = 0.55
    #: silence that ends a turn when the text trails off with no closing punctuation
    uncertain_silence_s: float = 1.8
    #: silence that ends a turn after a filler or an unfinished clause
    filler_silence_s: float = 2.5
    #: voiced time that counts as the speech resuming after a pause
    resume_s: float = 0.1
    #: nothing said for this long after the interviewer stopped: a timeout turn
    no_answer_s: float = 10.0
    #: "give me a moment": how long endpointing stays paused at most
    hold_s: float = 30.0
    #: voiced time over the interviewer's voice that counts as a barge-in
    barge_in_s: float = 0.3
    #: "predict": the wait comes from turn_end.predict; "rules": punctuation of the text only
    turn_model: Literal["rules", "predict"] = "predict"
    #: the longest wait the prediction asks for when it is unsure
    max_wait_s: float = 3.2
    #: unsure at the longest wait: nudge ("Take your time.") and keep listening
    nudge: bool = True
    #: after a nudge, the silence that ends the turn
    after_nudge_s: float = 3.0

    def turn_end(self) -> TurnEndConfig:
        return TurnEndConfig(
            min_wait_s=self.silence_s, max_wait_s=self.max_wait_s, after_nudge_s=self.after_nudge_s
        )


@dataclass(frozen=True)
class Event:
    kind: EventKind
    t: float
    #: last voiced instant of the turn (for pause / end_of_turn)
    speech_end: float | None = None
    #: first voiced instant (for speech_start / barge_in)
    speech_start: float | None = None
    pause_id: int = 0


class Endpointer:
    """State machine: waiting -> speech <-> pause -> (end of turn)."""

    def __init__(self, config: EndpointConfig | None = None, frame_s: float = 0.032) -> None:
        self.cfg = config or EndpointConfig()
        self.frame_s = frame_s
        self.state: Literal["closed", "waiting", "speech", "pause"] = "closed"
        self._voiced_run = 0.0
        self._listen_since = 0.0
        self._speech_end = 0.0
        self._pause_id = 0
        self._tail: dict[int, str] = {}  # pause id -> how the text before the pause ends
        self._decisions: dict[int, TurnDecision] = {}  # pause id -> predicted wait
        self._evidence: dict[int, TurnEvidence] = {}  # pause id -> what the wait came from
        self._turn_cfg = self.cfg.turn_end()
        self._question: str | None = None
        self._voiced_s = 0.0  # voiced time in the current turn
        self._nudged_at: float | None = None  # when this pause was nudged
        self.last_decision: TurnDecision | None = None
        self._hold_until = 0.0
        self.speaking_over = False  # interviewer audio is playing (barge-in mode)
        #: False: end the turn after ``silence_s`` whatever was said (the naive baseline)
        self.require_text = True

    # -- control from the runner
    def open(self, t: float, question: str | None = None) -> None:
        """Start listening for an answer (the interviewer has finished speaking).

        ``question``: what was asked, so the prediction knows what a complete answer holds.
        """
        self.state = "waiting"
        self._listen_since = t
        self._voiced_run = 0.0
        self._hold_until = 0.0
        self._question = question
        self._voiced_s = 0.0
        self._decisions.clear()
        self._evidence.clear()

    def close(self) -> None:
        self.state = "closed"
        self._voiced_run = 0.0

    def hold(self, t: float) -> None:
        """The candidate asked for a moment: do not end the turn on silence for a while."""
        self._hold_until = t + self.cfg.hold_s
        self._listen_since = t

    def set_tail_text(
        self,
        pause_id: int,
        text: str,
        *,
        prosody: Prosody | None = None,
        unheard_s: float | None = None,
        lone_tail_s: float | None = None,
        llm_p_complete: float | None = None,
    ) -> None:
        """The speculative transcript of the speech before pause ``pause_id`` is ready.

        ``text`` is the whole answer so far; ``prosody`` is measured on its last syllables.
        """
        self._tail[pause_id] = tail_kind(text)
        if self.cfg.turn_model == "predict":
            evidence = TurnEvidence(
                text,
                self._question,
                self._voiced_s,
                prosody,
                unheard_s,
                lone_tail_s,
                llm_p_complete,
            )
            self._decide(pause_id, evidence)

    def add_evidence(self, pause_id: int, **fields: Any) -> None:
        """Evidence that arrives after the text of pause ``pause_id`` (the language model's
        vote, word times): the wait is predicted again. Ignored once the pause is over or its
        text is not known yet (the wait is then the longest anyway)."""
        evidence = self._evidence.get(pause_id)
        if evidence is None or pause_id != self._pause_id or self.state != "pause":
            return
        self._decide(pause_id, replace(evidence, **fields))

    def _decide(self, pause_id: int, evidence: TurnEvidence) -> None:
        decision = predict(evidence, self._turn_cfg)
        if not self.cfg.nudge:
            decision = TurnDecision(decision.p_end, decision.wait_s, False, decision.reasons)
        self._evidence[pause_id] = evidence
        self._decisions[pause_id] = decision
        self.last_decision = decision

    @property
    def pause_id(self) -> int:
        return self._pause_id

    # -- per frame
    def feed(self, prob: float, t: float) -> Event | None:
        """One frame's speech probability; ``t`` is the frame's end time."""
        voiced = prob >= self.cfg.threshold
        cfg = self.cfg
        if self.state == "closed":
            if self.speaking_over:
                self._voiced_run = self._voiced_run + self.frame_s if voiced else 0.0
                if self._voiced_run >= cfg.barge_in_s:
                    start = t - self._voiced_run
                    self._enter_speech(t)
                    return Event("barge_in", t, speech_start=start)
            return None
        if self.state == "waiting":
            if voiced:
                self._voiced_run += self.frame_s
                if self._voiced_run >= cfg.min_speech_s:
                    start = t - self._voiced_run
                    self._enter_speech(t)
                    return Event("speech_start", t, speech_start=start)
            else:
                self._voiced_run = 0.0
                held = t < self._hold_until
                if not held and t - self._listen_since >= cfg.no_answer_s:
                    self.state = "closed"
                    return Event("timeout", t)
            return None
        if self.state == "speech":
            if voiced:
                self._speech_end = t
                self._voiced_s += self.frame_s
                return None
            self.state = "pause"
            self._pause_id += 1
            self._voiced_run = 0.0
            self._nudged_at = None
            return Event("pause", t, speech_end=self._speech_end, pause_id=self._pause_id)
        # pause
        if voiced:
            self._voiced_run += self.frame_s
            if self._voiced_run >= cfg.resume_s:
                self.state = "speech"
                last_end = self._speech_end
                self._speech_end = t
                # speech_end here is where the pause began, so the runner knows its length
                return Event(
                    "resume", t - self._voiced_run, speech_end=last_end, pause_id=self._pause_id
                )
            return None
        self._voiced_run = 0.0
        silence = t - self._speech_end
        if t < self._hold_until:
            return None
        decision = self._decisions.get(self._pause_id) if self.require_text else None
        if decision is not None:
            if self._nudged_at is not None:
                if t - self._nudged_at >= self._turn_cfg.after_nudge_s:
                    return self._end_of_turn(t)
                return None
            if silence < decision.wait_s:
                return None
            if decision.nudge:
                self._nudged_at = t
                return Event("nudge", t, speech_end=self._speech_end, pause_id=self._pause_id)
            return self._end_of_turn(t)
        kind = self._tail.get(self._pause_id) if self.require_text else "finished"
        need = {
            "finished": cfg.silence_s,
            "uncertain": cfg.uncertain_silence_s,
            "unfinished": cfg.filler_silence_s,
        }.get(kind or "", cfg.filler_silence_s)  # text not known yet: only the longest wait
        if silence >= need:
            return self._end_of_turn(t)
        return None

    def _end_of_turn(self, t: float) -> Event:
        self.state = "closed"
        return Event("end_of_turn", t, speech_end=self._speech_end, pause_id=self._pause_id)

    def _enter_speech(self, t: float) -> None:
        self.state = "speech"
        self._speech_end = t
        self._voiced_run = 0.0
        self._hold_until = 0.0
