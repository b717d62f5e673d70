"""What the interviewer says in its own words: greeting, acknowledgements, transitions."""

from __future__ import annotations

from interviewer.interview.bank import CompanyProfile
from interviewer.interview.jd_questions import JD_NOTICE, NO_BANK_NOTICE
from interviewer.interview.positions import GENERAL_ROLE
from interviewer.interview.spec import InterviewSpec

__all__ = [
    "ACKS",
    "ANY_QUESTIONS",
    "BRIDGES",
    "DONE_ASKING",
    "LAST_QUESTION",
    "MOVING_ON",
    "greeting",
    "sentence",
]

ANY_QUESTIONS = "Do you have any questions for me?"
DONE_ASKING = "That's all the questions I have."

#: Short on purpose: the follow-up or the next question comes after it, and every word before
#: that is waiting time for the candidate (about 0.5-0.7 s each with the embedded voice; "Got
#: it, thank you." took 1.3 s).
ACKS = (
    "Thanks.",
    "Got it.",
    "Thank you.",
    "I see.",
    "Alright.",
    "Okay.",
)
#: The same acknowledgements at their old length (about 1.2 s), said instead when the
#: follow-up's first words are still being synthesized: more time, and no extra sentence.
LONG_ACKS = {
    "Thanks.": "Thank you for that.",
    "Got it.": "Got it, thank you.",
    "Thank you.": "Understood, thank you.",
    "I see.": "I see, thank you.",
    "Alright.": "Alright, thank you.",
    "Okay.": "Okay, thanks.",
}
#: Said between the acknowledgement and a follow-up whose first words are not synthesized yet
#: (the answer's text came late): anything but silence.
BRIDGES = (
    "Let me follow up on that.",
    "I'd like to dig into that a little.",
    "Let me ask you about one part of that.",
)
#: What leads into the next question when there was no answer to acknowledge.
MOVING_ON = ("Let's move on.", "No problem, let's move on.")
#: Said before the last question only when the greeting gave a time budget instead of the
#: number of questions: otherwise the candidate knows, and it would delay the question.
LAST_QUESTION = "Last question."


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
