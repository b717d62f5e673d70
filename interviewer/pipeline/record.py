"""The answer of record: how the full pass decodes, and the guards on what it keeps.

The full pass (word timestamps, after the turn) gives the text that is stored, scored and
quoted back to the candidate, so it decodes with more effort than the streaming pass:

* beam search (5 by default) with Whisper's own guards: a result whose gzip compression
  ratio is over :data:`COMPRESSION_GUARD` or whose mean log-probability is under -1 is decoded
  again at a higher temperature (0.2, 0.4, ...). Greedy tiny.en loops on accented speech
  ("of the day of the day of the day"); beam 5 cut the WER on ../shared/audio (docs/benchmarks.md);
* the key terms of the question's rubric and of the job description, then the question, as
  ``initial_prompt``, so the domain words an answer is expected to hold ("NDCG", "p-value") are
  in the decoder's context. The prompt reaches only the first 30 s window (the full pass does
  not condition on its own previous text). faster-whisper's ``hotwords`` would reach every
  window, but measured on the technical answers (docs/benchmarks.md) tiny.en then wrote the
  terms into the trailing silence ("… the fraud. XGBoost, SMOTE, SMOTE, SMOTE"), so they are
  supported (:class:`FinalDecoding`) and not used;
* where the full pass is still degenerate on a stretch (a repeated n-gram, a compression ratio
  over the guard) and the streamed text of that stretch is not, the streamed text is kept
  (:func:`repair`); the streaming pass decodes each piece on its own and cannot loop across
  pieces.
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from interviewer.types import Word

__all__ = [
    "COMPRESSION_GUARD",
    "FinalDecoding",
    "answer_decoding",
    "answer_terms",
    "compression_ratio",
    "decoding_prompt",
    "degenerate",
    "key_terms",
    "question_terms",
    "repair",
    "repeated_ngrams",
    "words_kept",
]

#: Whisper's threshold for a looping decode (gzip ratio of the text's bytes).
COMPRESSION_GUARD = 2.4
#: Whisper keeps at most 223 prompt tokens; a word is 1-3 tokens, and a long prompt slows the
#: decoder, so the prompt is kept well under that.
MAX_PROMPT_WORDS = 60
MAX_TERMS = 24
MAX_JD_TERMS = 8
#: Streamed words the full pass has no counterpart for, at a join of its stretches or at its
#: end, that are kept as dropped speech (fewer are the stream's own noise at a cut).
MIN_DROPPED = 3
#: A full-pass segment this short, inside the answer, that the streamed text has no word of
#: is dropped: tiny.en writes "Thank you very much." into the silence at the end of its audio,
#: and the incremental pass gives it such an end inside the answer (a group's last pause).
MAX_UNHEARD = 4

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#@./'-]*[A-Za-z0-9+#]|[A-Za-z]")
# Common English words that carry no domain knowledge; a term list made of them only dilutes
# the prompt.
_STOP_WORDS = """
    a about above after again against all also an and any are as at be because been before
    being below between both but by can could did do does doing down during each either etc
    even ever every few for from further get gets give good had has have having how however if
    in into is it its just know least less like made make makes many may more most much must
    my need new no nor not of off often on once one only or other our out over own per rather
    really same see should show shows so some such than that the their them then there these
    they this those through to too under until up us use used uses using very via was way we
    well were what when where whether which while who why will with within without would you
    your able answer candidate clear clearly describe describes explain explains example
    examples good great level levels mention mentions point points poor specific strong weak
    work working works time team teams role experience years year question questions give
    gives given ask asks"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class FinalDecoding:
    """How the full pass decodes. ``prompt`` is per question (see :func:`decoding_prompt`)."""

    beam_size: int = 5
    prompt: str | None = None
    hotwords: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``STT.transcribe``. ``hotwords`` is not in the STT protocol
        (the Whisper engine and the fakes take it): it is passed only when set, so any STT
        serves a full pass without terms."""
        out: dict[str, Any] = {"beam_size": self.beam_size, "initial_prompt": self.prompt}
        if self.hotwords:
            out["hotwords"] = self.hotwords
        return out


def _terms_in(text: str) -> list[str]:
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0).strip(".'")
        low = w.lower()
        if not w or low in _STOP:
            continue
        # acronyms and words with digits or inner punctuation are the domain words; plain words
        # must be long enough to be unusual
        special = any(c.isupper() for c in w[1:]) or any(c in w for c in "0123456789+#@-./")
        if special or w.isupper() or len(w) >= 6:
            out.append(w)
    return out


def key_terms(texts: Iterable[str], limit: int = MAX_TERMS) -> list[str]:
    """The likely domain terms of ``texts`` (key points, rubric criteria, a job description),
    unusual-looking ones first, each once (case-insensitive), at most ``limit``."""
    seen: dict[str, tuple[int, int, str]] = {}
    order = 0
    for text in texts:
        for w in _terms_in(text):
            low = w.lower()
            rank = 0 if (w.isupper() or any(c in w for c in "0123456789+#@-./")) else 1
            if low not in seen:
                seen[low] = (rank, order, w)
                order += 1
    ranked = sorted(seen.values())
    return [w for _, _, w in ranked[:limit]]


def decoding_prompt(
    question: str | None,
    terms: Sequence[str] = (),
    *,
    max_words: int = MAX_PROMPT_WORDS,
) -> str | None:
    """The full pass's prompt: the terms, then the question (Whisper continues the style of
    what precedes the audio, so the question's own wording and punctuation come last)."""
    parts = []
    if terms:
        parts.append(", ".join(terms) + ".")
    if question and question.strip():
        parts.append(question.strip())
    words = " ".join(parts).split()
    if not words:
        return None
    if len(words) > max_words:
        # keep the end: the question is what the answer follows
        words = words[-max_words:]
    return " ".join(words)


def _norm(word: str) -> str:
    return word.strip(".,!?;:\"'()…-").lower()


def compression_ratio(text: str) -> float:
    """Whisper's loop detector: bytes over gzip'd bytes (a loop compresses well)."""
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def repeated_ngrams(text: str, max_n: int = 4) -> int:
    """How many times an n-gram (n <= ``max_n``) is immediately repeated: "first first" counts
    one, "of the day of the day of the day" two. Repeats of one filler word ("very very") are
    speech, so single words count only when they are not in the streamed text either (see
    :func:`repair`)."""
    words = [_norm(w) for w in text.split()]
    words = [w for w in words if w]
    count = 0
    i = 0
    while i < len(words):
        hit = 0
        for n in range(max_n, 0, -1):
            if i + 2 * n <= len(words) and words[i : i + n] == words[i + n : i + 2 * n]:
                hit = n
                break
        if hit:
            count += 1
            i += hit
        else:
            i += 1
    return count


def degenerate(text: str, *, guard: float = COMPRESSION_GUARD) -> bool:
    """More than one repeated n-gram, or a compression ratio over the guard."""
    return repeated_ngrams(text) > 1 or compression_ratio(text) > guard


def _badness(text: str) -> tuple[int, float]:
    return repeated_ngrams(text), compression_ratio(text)


@dataclass(frozen=True)
class Repair:
    """The text of record and which stretches of the full pass were replaced."""

    text: str
    #: (full-pass text, streamed text kept instead) per replaced stretch
    replaced: tuple[tuple[str, str], ...] = ()
    #: what was kept of each stretch given to :func:`repair`, in order ("" where it was
    #: dropped), so the word timestamps can follow the text (see :func:`words_kept`)
    kept: tuple[str, ...] = ()


def repair(
    stretches: Sequence[str],
    streamed: str,
    *,
    guard: float = COMPRESSION_GUARD,
) -> Repair:
    """Join the full pass's ``stretches`` (its segments, in order), keeping the streamed text
    for a stretch where the full pass is worse.

    A stretch is worse when it has a repeated n-gram that the aligned streamed words lack (the
    candidate did not say "first first"), or more than one, or its compression ratio is over
    ``guard`` while the streamed words' is not. Where the full pass has nothing for
    :data:`MIN_DROPPED` or more streamed words between two of its stretches or after the last
    (a prompted decode can end early and its next window be skipped as silence: "…chose the
    threshold on the" for a 29-word answer), those words are kept. Alignment is by word, on
    folded spelling, so the streamed text's missing punctuation and case do not matter.
    """
    pieces = [s.strip() for s in stretches if s and s.strip()]
    if not streamed.strip():
        return Repair(" ".join(pieces), kept=tuple((s or "").strip() for s in stretches))
    full_words: list[str] = []
    owner: list[int] = []
    for i, s in enumerate(pieces):
        ws = s.split()
        full_words.extend(ws)
        owner.extend([i] * len(ws))
    s_words = streamed.split()
    matcher = difflib.SequenceMatcher(
        None, [_norm(w) for w in full_words], [_norm(w) for w in s_words], autojunk=False
    )
    # position in the streamed words of each full-pass word boundary
    to_streamed = [0] * (len(full_words) + 1)
    dropped: dict[int, str] = {}  # full-pass word position -> streamed words it lacks there
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "insert" and b1 - b0 >= MIN_DROPPED:
            dropped[a0] = " ".join(s_words[b0:b1])
        for k in range(a0, a1 + 1):
            if tag == "equal":
                to_streamed[k] = b0 + (k - a0)
            else:
                to_streamed[k] = b0 if k < a1 else b1
    # the stream is a witness of what was said only where the two mostly agree
    same = sum(b.size for b in matcher.get_matching_blocks())
    agree = same >= 0.5 * len(full_words)
    out: list[str] = []
    replaced: list[tuple[str, str]] = []
    kept_of: list[str] = []
    start = 0
    for i, piece in enumerate(pieces):
        n = sum(1 for o in owner if o == i)
        if start in dropped and start > 0:
            out.append(dropped[start])
            replaced.append(("", dropped[start]))
        lo, hi = to_streamed[start], to_streamed[start + n]
        start += n
        if start in dropped:  # words the full pass lacks after this stretch: kept apart
            hi -= len(dropped[start].split())
        alt = " ".join(s_words[lo:hi])
        kept = _better(piece, alt, guard)
        # inside the answer only: at its very end the stream's last cut may have lost words
        unheard = agree and i < len(pieces) - 1 and len(piece.split()) <= MAX_UNHEARD
        if not alt and (degenerate(piece, guard=guard) or unheard):
            # a loop, or a short segment of its own, the stream heard nothing of: Whisper
            # writing its context or a stock phrase into silence ("Thank you very much." at
            # the end of a group of pieces, on real clips)
            kept = ""
        if kept != piece:
            replaced.append((piece, kept))
        kept_of.append(kept)
        if kept:
            out.append(kept)
    if len(full_words) in dropped:
        out.append(dropped[len(full_words)])
        replaced.append(("", dropped[len(full_words)]))
    it = iter(kept_of)
    per_stretch = tuple(next(it) if s and s.strip() else "" for s in stretches)
    return Repair(" ".join(out), tuple(replaced), per_stretch)


def words_kept(words: Sequence[Word], heard: str, kept: str) -> list[Word]:
    """The words of a stretch the full pass ``heard`` that hold what :func:`repair` ``kept``
    of it: all where it was kept whole, none where it was dropped (a phrase written into
    silence), and where it was replaced, those the kept text shares in order (one copy of a
    loop). The word timestamps feed the delivery figures and the unsure-word marks; a loop's
    words there would count speech that was never said."""
    if kept == heard:
        return list(words)
    if not kept:
        return []
    matcher = difflib.SequenceMatcher(
        None, [_norm(w.word) for w in words], [_norm(w) for w in kept.split()], autojunk=False
    )
    out: list[Word] = []
    for a, _, size in matcher.get_matching_blocks():
        out.extend(words[a : a + size])
    return out


def _better(full: str, streamed: str, guard: float) -> str:
    """The better text of one stretch: ``full`` unless it loops where ``streamed`` does not."""
    f_rep, f_ratio = _badness(full)
    s_rep, s_ratio = _badness(streamed) if streamed else (0, 0.0)
    looping = f_rep > 1 or f_ratio > guard
    if streamed and looping and s_rep <= 1 and s_ratio <= guard:
        return streamed
    if streamed and f_rep > s_rep:
        # one stuttered n-gram ("a smaller first first. on time") the streamed text lacks: the
        # rest of the full pass is still the better text (the streamed pieces lose words at
        # their cuts), so only the repeat goes
        return _drop_repeats(full)
    return full


def _drop_repeats(text: str, max_n: int = 4) -> str:
    """``text`` with each immediately repeated n-gram said once (the last copy is kept, with
    its punctuation)."""
    words = text.split()
    normed = [_norm(w) for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(max_n, 0, -1):
            span = normed[i : i + n]
            if i + 2 * n <= len(words) and span == normed[i + n : i + 2 * n] and all(span):
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def question_terms(question: object) -> list[str]:
    """Texts of a bank question that name what a good answer holds: its key points, its
    rubric's criteria and their top anchors."""
    texts: list[str] = list(getattr(question, "key_points", None) or [])
    rubric = getattr(question, "rubric", None)
    for c in getattr(rubric, "criteria", None) or []:
        texts.append(str(getattr(c, "description", "")))
        anchors = getattr(c, "anchors", None) or {}
        if 5 in anchors:
            texts.append(str(anchors[5]))
    return texts


def answer_decoding(brain: object, asked: str | None, beam_size: int = 5) -> FinalDecoding:
    """The full pass's decoding for the answer to what ``brain`` asked last (``asked``: what
    the interviewer said): its terms, then the question, as prompt."""
    question = getattr(brain, "current_question", None)
    text = asked or getattr(question, "text", None)
    prompt = decoding_prompt(text if isinstance(text, str) else None, answer_terms(brain))
    return FinalDecoding(beam_size, prompt)


def answer_terms(brain: object) -> list[str]:
    """The domain terms of the question ``brain`` is asking and of its job description."""
    question = getattr(brain, "current_question", None)
    spec = getattr(brain, "spec", None)
    jd = getattr(spec, "job_description", None)
    terms = key_terms(question_terms(question), limit=MAX_TERMS - MAX_JD_TERMS)
    if isinstance(jd, str) and jd.strip():
        known = {t.lower() for t in terms}
        terms += [t for t in key_terms([jd], limit=MAX_JD_TERMS * 2) if t.lower() not in known][
            :MAX_JD_TERMS
        ]
    return terms
