"""What the interviewer says in its own words: greeting, acknowledgements, transitions."""

from __future__ import annotations

from interviewer.interview.bank import CompanyProfile
from interviewer.interview.jd_questions import JD_NOTICE, NO_BANK_NOTICE
from interviewer.interview.positions import GENERAL_ROLE
from interviewer.interview.spec import InterviewSpec

__all__ = ["ACKS", "ANY_QUESTIONS", "LAST_QUESTION", "MOVING_ON", "greeting", "sentence"]

ANY_QUESTIONS = "Do you have any questions for me?"

ACKS = (
    "Thanks.",
    "Got it, thank you.",
    "Thank you for that.",
    "Okay, thanks.",
    "Understood, thank you.",
    "Alright, thank you.",
)
#: What leads into the next question when there was no answer to acknowledge.
MOVING_ON = ("Let's move on.", "No problem, let's move on.")
LAST_QUESTION = "Here's my last question."


def _brisk(company: CompanyProfile | None) -> bool:
    # Some profiles ask for a direct style ("skip small talk"); keep their greeting short.
    if company is None:
        return False
    style = " ".join([company.interview_style, *company.phrasing]).lower()
    return any(k in style for k in ("small talk", "short and direct", "fast-paced"))


def greeting(
    spec: InterviewSpec, company: CompanyProfile | None, n_questions: int, *, from_jd: bool = False
) -> str:
    """The interviewer's opening words: the role, the company and the shape of the interview.

    For a position with no technical bank they say so, and where the technical questions come
    from (``from_jd``: some were built from the job description)."""
    role = spec.role_title
    level = spec.level
    if level == "intern":
        position = f"the {role} internship"
    else:
        position = f"the {'' if level == 'mid' else level + ' '}{role} position"
    name = company.name if company is not None else spec.company
    at = f" at {name}" if name else ""
    n = n_questions
    if spec.minutes is not None:
        shape = f"We have about {spec.minutes:g} minutes"
    else:
        shape = f"I have {n} question{'s' if n != 1 else ''} for you"
    if spec.role == GENERAL_ROLE:
        shape = f"{NO_BANK_NOTICE if not from_jd else JD_NOTICE} {shape}"
    if _brisk(company):
        return (
            f"Hello, and thanks for joining. This is the interview for {position}{at}. "
            f"{shape}. Let's get started."
        )
    follow = ", and I may ask a follow-up or two along the way" if spec.max_follow_ups else ""
    return (
        f"Hello, and thank you for joining me today. I'm your interviewer for {position}{at}. "
        f"{shape}{follow}. Take your time with each answer, and just ask if you'd like me to "
        "repeat a question. Let's begin."
    )


def sentence(text: str) -> str:
    """The text as one sentence, with a full stop added when it has no end mark."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
