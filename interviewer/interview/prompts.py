"""Prompts for the local LLM.

The default model is a 270M base model: it does not follow instructions, it continues text. So
the follow-up prompt is a few-shot document whose next natural line is the follow-up, and the JSON
grammar fixes the output's shape. Such a small model often copies an example instead of writing
its own question; :data:`FEW_SHOT` is exported so the validator can recognise those copies.

The examples deliberately use topics that are not in the question bank, so that a copied example
is never accidentally a good follow-up to the real question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from interviewer.types import ChatMessage

__all__ = [
    "FEW_SHOT",
    "FOLLOW_UP_SCHEMA",
    "FewShot",
    "example_texts",
    "follow_up_messages",
    "follow_up_prompt",
]

#: Output of the follow-up call; the length limit also bounds generation time.
FOLLOW_UP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"follow_up": {"type": "string", "minLength": 10, "maxLength": 160}},
    "required": ["follow_up"],
    "additionalProperties": False,
}

#: The answer is cut to its last words: the end of an answer is what a follow-up picks up, and a
#: long answer would slow every call and crowd the small context.
MAX_ANSWER_WORDS = 150


@dataclass(frozen=True)
class FewShot:
    """One worked example: question, answer, and the follow-up an interviewer would ask."""

    question: str
    answer: str
    #: what the rules chose to probe (the prompt's "Ask about:" line)
    focus: str
    follow_up: str


FEW_SHOT: tuple[FewShot, ...] = (
    FewShot(
        "Tell me about a time you improved a process your team relied on.",
        "Our release checklist was a wiki page nobody read, so I turned it into a script that "
        "runs before every deploy.",
        "how the team started using the script",
        "You said you turned the checklist into a script. How did you get the team to use it?",
    ),
    FewShot(
        "How would you pick a sample size for a customer survey?",
        "I would use the standard formula with the margin of error we can accept.",
        "the margin of error",
        "What margin of error would you accept for this survey, and why?",
    ),
    FewShot(
        "Describe a time you had to give a customer bad news.",
        "An export for a big customer slipped by a week. We told them and they were unhappy, "
        "but they stayed with us.",
        "what you personally did",
        "You said the export slipped by a week. How did you break the news to them?",
    ),
    FewShot(
        "How would you speed up a slow unit test suite?",
        "I would find the slowest tests and mock out the network calls they make.",
        "keeping the mocks in line with the real services",
        "How would you keep those mocks in line with the real services over time?",
    ),
)

_INSTRUCTION = (
    "You are a job interviewer. After the candidate's answer, ask one short follow-up question "
    "(under 25 words) about what the 'Ask about' line names. Refer to the candidate's own "
    "words; never mention a person, customer, product, number or event they did not mention. "
    'Reply with JSON: {"follow_up": "..."}'
)

_HEADER = (
    "Notes from job interviews. After each answer the interviewer asks one short follow-up "
    "question about a detail the candidate left out, in the candidate's own words.\n\n"
)


def _clip(answer: str) -> str:
    words = answer.split()
    if len(words) > MAX_ANSWER_WORDS:
        words = ["...", *words[-MAX_ANSWER_WORDS:]]
    return " ".join(words)


def _block(question: str, answer: str, focus: str | None) -> str:
    ask = f"Ask about: {' '.join(focus.split())}\n" if focus else ""
    return f"Question: {' '.join(question.split())}\nAnswer: {_clip(answer)}\n{ask}Follow-up: "


def follow_up_prompt(question: str, answer: str, focus: str | None = None) -> str:
    """A raw completion prompt for a base model: header, examples, then the real exchange.

    ``focus`` is what the rules chose to probe; the examples carry one too, so the model
    learns to follow it.
    """
    shots = "".join(
        _block(s.question, s.answer, s.focus) + json.dumps({"follow_up": s.follow_up}) + "\n\n"
        for s in FEW_SHOT
    )
    return _HEADER + shots + _block(question, answer, focus)


def follow_up_messages(question: str, answer: str, focus: str | None = None) -> list[ChatMessage]:
    """Chat messages for an instruction-tuned model: instruction, examples as turns, then ours."""
    messages = [ChatMessage("system", _INSTRUCTION)]
    for s in FEW_SHOT:
        messages.append(ChatMessage("user", _block(s.question, s.answer, s.focus).rstrip()))
        messages.append(ChatMessage("assistant", json.dumps({"follow_up": s.follow_up})))
    messages.append(ChatMessage("user", _block(question, answer, focus).rstrip()))
    return messages


def example_texts() -> list[str]:
    """Every question, answer and follow-up in the examples: a model may copy any of them."""
    return [text for s in FEW_SHOT for text in (s.question, s.answer, s.follow_up)]
