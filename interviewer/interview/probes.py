"""What a follow-up should probe, and a follow-up that refers to the candidate's own words.

Rules decide *what* to ask about: a red flag the answer states, a missing STAR part, an uncovered
key point (named by the bank's hand-written ``topics``), a vague claim ("it improved a lot"), an
unexplained number or a decision. Each :class:`Probe` carries a ``focus`` (what to ask about, for
the model to phrase) and a template ``text`` that quotes a clause of the answer, turned to the
second person: "You said you moved cold data to cheaper storage. How did you decide on that?"
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from interviewer.interview.answers import covered_key_points, missing_star_parts
from interviewer.interview.bank import Question
from interviewer.text import content_words, split_sentences, words

__all__ = ["Probe", "answer_clauses", "plan_probes", "second_person"]

#: A quoted clause is cut to this many words (a longer one reads as reciting the answer back).
MAX_QUOTE_WORDS = 14
MIN_QUOTE_WORDS = 3


@dataclass(frozen=True)
class Probe:
    """One thing worth asking about, with a ready template follow-up."""

    kind: str  # red_flag | star:<part> | key_point | vague | number | decision
    focus: str
    text: str
    reason: str


# --------------------------------------------------------------------------- the candidate's words


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_YOU = {
    "i": "you",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we": "you",
    "we're": "you're",
    "we've": "you've",
    "we'd": "you'd",
    "we'll": "you'll",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
}
_BE_AFTER_I = {"am": "are", "was": "were"}
_LEAD_FILLERS = _wordset(
    "sure so well um uh uhm er erm okay ok yeah yes right honestly basically actually and "
    "then also but"
)
_PRONOUNS = r"(?:i|we|he|she|they|it|you|i'd|i'm|i've|we'd|we're|we've|there|nobody|everyone)"
# A clause ends at punctuation, or at a conjunction that starts a new subject or a further action
# ("..., and I set up a meeting", "... and moved cold data"), not inside "old and new flows".
_CLAUSE_SPLIT = re.compile(
    r"\s*[,;:]\s*|\s+(?:because|so that|while|until|whereas)\s+"
    rf"|\s+(?:and then|and|but|so)\s+(?={_PRONOUNS}\b|\w+ed\b)",
    re.IGNORECASE,
)
_HAS_VERB = re.compile(
    r"^(?:i|we|you|he|she|they)\b|\b(?:\w+ed|is|are|was|were|has|had|have|got|cut|kept|went|made"
    r"|built|ran|led|set|took|found|told|wrote|use|uses|need|needs|means|would|could|will|can"
    r"|should|must|hashes|holds|shows|gives|takes|goes|comes|says)\b",
    re.IGNORECASE,
)
_RELATIVE_START = frozenset({"which", "who", "that", "where", "when", "once"})
_SUBJECTS = frozenset({"i", "we", "i'm", "i've", "i'd", "we're", "we've", "we'd"})


def second_person(clause: str) -> str:
    """'I moved our data' -> 'you moved your data' (the candidate's words, said back)."""
    out: list[str] = []
    tokens = clause.split()
    for i, token in enumerate(tokens):
        core = token.strip(".,;:!?\"'").replace("’", "'")
        low = core.lower()
        prev = tokens[i - 1].lower() if i else ""
        if low in _YOU:
            rep = _YOU[low]
        elif low in _BE_AFTER_I and prev in ("i", "we"):
            rep = "were" if low == "was" else "are"
        else:
            out.append(token)
            continue
        out.append(token.replace(core, rep))
    return " ".join(out)


def _strip_lead(tokens: list[str]) -> list[str]:
    while tokens and tokens[0].lower().strip(",.") in _LEAD_FILLERS:
        tokens = tokens[1:]
    return tokens


def _is_past_verb(word: str) -> bool:
    return word.endswith("ed") or word in _IRREGULAR_PAST


_IRREGULAR_PAST = _wordset(
    "built wrote ran set led made took gave told found kept held brought bought sent spent "
    "met cut put shipped split drew chose began got did went saw thought taught caught"
)


def answer_clauses(answer: str) -> list[str]:
    """The answer's clauses, each with its subject, filler-free, in order.

    "I profiled our pipelines, moved cold data to cheaper storage" gives "I profiled our
    pipelines" and "I moved cold data to cheaper storage": a clause that continues a list of
    the candidate's actions gets its "I" back.
    """
    clauses: list[str] = []
    # kept from one sentence to the next: the recogniser often ends a sentence at a pause
    # inside a list of actions ("I cut the scope. And delivered the analysis a week later.")
    subject = ""
    for sentence in split_sentences(" ".join(answer.split())):
        sentence = sentence.rstrip(".!?")
        for piece in _CLAUSE_SPLIT.split(sentence):
            tokens = _strip_lead(piece.split())
            if not tokens:
                continue
            first = tokens[0].lower()
            if first in _SUBJECTS:
                subject = tokens[0] if first in ("i", "we") else ""
            elif subject and _is_past_verb(first):
                tokens = [subject, *tokens]
            if first in _RELATIVE_START or not _HAS_VERB.search(" ".join(tokens)):
                continue  # "which brought it back", "two engineers": no clause to quote
            clauses.append(" ".join(tokens))
    return clauses


def _quote(clause: str) -> str | None:
    tokens = clause.split()
    # A clause cut short reads as a misquote: quote whole clauses only.
    if not MIN_QUOTE_WORDS <= len(tokens) <= MAX_QUOTE_WORDS or "?" in clause:
        return None
    if tokens[-1].lower() in _DANGLING:
        return None
    text = second_person(" ".join(tokens))
    return text[0].lower() + text[1:] if not re.match(r"[A-Z]{2}|I\b", text) else text


_DANGLING = _wordset(
    "a an the to of for and or but with in on at by from that which our my your their its "
    "about into as than"
)


def _said(clause: str) -> str:
    """'You said ...' with the clause, or '' when it cannot be quoted."""
    quoted = _quote(clause)
    return f"You said {quoted}." if quoted else ""


# --------------------------------------------------------------------------- what to probe

_VAGUE = re.compile(
    r"\b(?:improved a lot|a lot (?:better|faster|easier|smoother)|(?:much|far|way|a lot) "
    r"(?:better|faster|easier|smoother|quicker|cheaper|more|less|happier)|significantly"
    r"|dramatically|massively|hugely|(?:huge|big|great|real) (?:impact|improvement|difference"
    r"|success)|really (?:helped|worked)|went (?:really |very )?well|worked (?:really |very )?well"
    r"|made a (?:big |huge |real )?difference|paid off|a success)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\b(?:\d[\d,.]*\s*(?:%|percent|per cent|x|times)?|(?:three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve|fifteen|eighteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|hundred|thousand|million|billion|half|double|doubled|halved|tripled)\b)",
    re.IGNORECASE,
)
_CHANGE = re.compile(
    r"%|\b(?:percent|per cent|times|x|cut|saved|sav\w+|reduc\w+|increas\w+|decreas\w+|grew|grown"
    r"|dropped|improv\w+|rose|fell|lower\w*|rais\w+|doubled|halved|tripled|faster|slower"
    r"|cheaper)\b",
    re.IGNORECASE,
)
_MEASURED = re.compile(
    r"\b(?:measur\w*|compared|against the|baseline|holdout|control group|tracked|dashboard"
    r"|a/b|experiment)\b",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"^(?:i|we) (?:\w+ly )?(?:decided|chose|picked|opted|went with|switched|moved|rolled back"
    r"|cut|dropped|prioriti[sz]ed|split|added|built|rewrote|set up|suggested|proposed|agreed"
    r"|pushed|escalated|delayed|shipped|replaced|removed|used|use|would use|'d use|started)\b",
    re.IGNORECASE,
)
_RED_FLAG_OVERLAP = 0.6


def _pick(key: str, options: Sequence[str]) -> str:
    # Stable variety: the same question and clause always give the same wording.
    return options[zlib.crc32(key.encode()) % len(options)]


def _first_clause(clauses: list[str], pattern: re.Pattern[str]) -> str | None:
    return next((c for c in clauses if pattern.search(c) and _quote(c)), None)


def _red_flag_texts(question: Question) -> list[str]:
    # Red flags arrive with the judgement issue; each is a string or has a ``claim``/``text``.
    out = []
    for flag in getattr(question, "red_flags", ()) or ():
        text = flag if isinstance(flag, str) else getattr(flag, "claim", getattr(flag, "text", ""))
        if text:
            out.append(str(text))
    return out


def _red_flag(question: Question, clauses: list[str]) -> Probe | None:
    for flag in _red_flag_texts(question):
        needed = content_words(flag)
        for clause in clauses:
            said = content_words(clause)
            shared = needed & said
            # A correct definition and its classic misreading share most words ("assuming the
            # null is true" / "the probability the null is true"): as in the scorer, the clause
            # must be nearer the wrong claim than any key point.
            to_point = max((len(said & content_words(k)) for k in question.key_points), default=0)
            if (
                needed
                and len(shared) >= max(2, _RED_FLAG_OVERLAP * len(needed))
                and len(shared) > to_point
                and _said(clause)
            ):
                ask = "Could you walk me through why that holds?"
                return Probe(
                    "red_flag",
                    f"whether it is true that {_quote(clause)}",
                    f"{_said(clause)} {ask}",
                    "rule: the answer states a common misconception",
                )
    return None


_STAR_ASKS = {
    "situation": ("Where was this, and what was your role?",),
    "action": ("What did you personally do?", "What was your own part in that?"),
    "result": ("How did it turn out?", "What was the result?"),
    "reflection": (
        "Looking back, what would you do differently?",
        "What did you take away from that?",
    ),
}
_STAR_FOCUS = {
    "situation": "where this was and what your role was",
    "action": "what you personally did",
    "result": "how it turned out",
    "reflection": "what you would do differently",
}


def _star_probe(part: str, clauses: list[str]) -> Probe:
    # Result and reflection follow the last thing done; action and situation the first.
    ordered = clauses[::-1] if part in ("result", "reflection") else clauses
    clause = next((c for c in ordered if _quote(c)), None)
    ask = _pick(f"{part}:{clause}", _STAR_ASKS[part])
    lead = _said(clause) if clause else ""
    about = f" after {_quote(clause)}" if clause and part in ("result", "reflection") else ""
    return Probe(
        f"star:{part}",
        f"{_STAR_FOCUS[part]}{about}",
        f"{lead} {ask}".strip(),
        f"rule: answer lacks the STAR {part}",
    )


def _key_point_probes(question: Question, answer: str, clauses: list[str]) -> Iterator[Probe]:
    if not question.topics:
        return  # no hand-written topic: the bank's own follow-ups ask about the key points
    said = content_words(answer)
    # Quote the clause closest to the question, so the probe builds on what was said.
    asked = content_words(question.text)
    best = max(clauses, key=lambda c: len(content_words(c) & asked), default=None)
    lead = _said(best) if best else ""
    covered = covered_key_points(question, answer)
    for index, (topic, ok) in enumerate(zip(question.topics, covered, strict=True)):
        if ok or content_words(topic) <= said:
            continue
        ask = _pick(
            f"{question.id}:{index}",
            (
                f"What would you add about {topic}?",
                f"And what about {topic}?",
                f"How does that connect to {topic}?",
            ),
        )
        yield Probe(
            "key_point", topic, f"{lead} {ask}".strip(), f"rule: key point {index + 1} missing"
        )


def _detail_probes(clauses: list[str], answer: str, *, numbers: bool = True) -> Iterator[Probe]:
    clause = _first_clause(clauses, _VAGUE)
    if clause:
        ask = _pick(
            clause, ("What changed, and how could you tell?", "What does that mean in numbers?")
        )
        yield Probe(
            "vague",
            f"what exactly changed when {_quote(clause)}",
            f"{_said(clause)} {ask}",
            "rule: a vague claim",
        )
    clause = next(
        (c for c in clauses if _NUMBER.search(c) and _CHANGE.search(c) and _quote(c)), None
    )
    if clause and numbers and not _MEASURED.search(answer):
        yield Probe(
            "number",
            f"how you measured that {_quote(clause)}",
            f"{_said(clause)} How did you measure that?",
            "rule: a number without how it was measured",
        )
    clause = _first_clause(clauses, _DECISION)
    if clause:
        ask = _pick(
            clause,
            (
                "How did you decide on that?",
                "Why that, rather than something else?",
                "What other options did you weigh?",
            ),
        )
        yield Probe(
            "decision",
            f"why {_quote(clause)}",
            f"{_said(clause)} {ask}",
            "rule: a decision without its reason",
        )


def plan_probes(question: Question, answer: str) -> list[Probe]:
    """What to ask about ``answer``, most useful first (may be empty)."""
    clauses = answer_clauses(answer)
    if not words(answer):
        return []
    probes: list[Probe] = []
    flag = _red_flag(question, clauses)
    if flag is not None:
        probes.append(flag)
    if question.type == "behavioral":
        missing = missing_star_parts(answer)
        if "action" in missing:
            probes.append(_star_probe("action", clauses))
        details = list(_detail_probes(clauses, answer))
        # A vague or unmeasured result is the better probe for a missing result.
        probes += [p for p in details if p.kind != "decision"]
        if "result" in missing:
            probes.append(_star_probe("result", clauses))
        probes += [p for p in details if p.kind == "decision"]
        probes += [_star_probe(p, clauses) for p in ("reflection", "situation") if p in missing]
    else:
        probes += _key_point_probes(question, answer, clauses)
        # "O(1) on average" is no measurement to ask about: no number probe here.
        probes += _detail_probes(clauses, answer, numbers=False)
    return probes
