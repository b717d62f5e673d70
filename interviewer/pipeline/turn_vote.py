"""The language model's vote: is the candidate's turn complete, given the question and the
answer so far?

The approach of the small end-of-turn models (LiveKit's turn detector): a language model that
has read the transcript so far gives the probability that the speaker's line ends here. The
embedded model is a base model, not a chat model, so the transcript is plain text and the
vote is the probability that the next text starts a new line (the interviewer's), against the
candidate's words going on. One evaluation on a prompt that only grows from pause to pause,
so the context's cached prefix leaves only the new words to evaluate.

Measured on the turn set's texts (docs/benchmarks.md, "Turn-taking"): it separates complete
answers from the text before a thinking pause, also where Whisper has closed that text with a
period, but less well than the rules of :mod:`turn_end` already do on that set, and one
evaluation took seconds on the loaded 2-core machine, while the same model composes the
reply at that very pause. So nothing asks for it by default; the vote is bounded in
:func:`turn_end.predict` and a missing or failed one changes nothing.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from interviewer.errors import ModelError

#: The transcript the model continues; the answer is candidate speech: data, never steering
#: anything but this one bounded number.
PROMPT = (
    "The following is a transcript of a job interview.\n\n"
    "Interviewer: {question}\nCandidate: {answer}"
)
#: What starts the next line: the candidate has finished.
ENDS = ("\n",)


def vote_prompt(question: str | None, answer: str) -> str:
    """The transcript for the vote; line breaks inside either text would end the line early."""
    return PROMPT.format(
        question=" ".join((question or "").split()), answer=" ".join(answer.split())
    )


def p_complete(
    llm: Any, question: str | None, answer: str, *, cancel: threading.Event | None = None
) -> float | None:
    """The model's probability that the answer is complete; None when the model cannot score
    (no ``next_text_mass``: a remote or fake model), gave way to a reply, or failed."""
    mass = getattr(llm, "next_text_mass", None)
    if mass is None or not answer.strip():
        return None
    try:
        p = float(mass(vote_prompt(question, answer), ENDS, cancel=cancel))
    except ModelError:  # LLMPreempted included: the reply came first
        return None
    if not math.isfinite(p) or not 0.0 <= p <= 1.0:
        return None
    return p
