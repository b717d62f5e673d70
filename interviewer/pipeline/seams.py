"""Joining text cut at pauses: a word heard on both sides of a cut is kept once.

The streaming pass decodes the speech since the last pause on its own, and the full pass
decodes the answer in groups of committed pieces (``pipeline/transcriber.py``); both are joined
here. A word whose audio reaches past the cut is heard again at the start of the next piece
("Sure. Sure. At my"), so the join drops the repeat; the full pass's word timestamps follow
its text through the join.
"""

from __future__ import annotations

from collections.abc import Iterable

from interviewer.pipeline.record import degenerate
from interviewer.types import Word

__all__ = ["Stretch", "join_passes", "join_text"]

#: one segment of a full pass: its text and its words (utterance-relative times)
Stretch = tuple[str, list[Word]]


def _norm(word: str) -> str:
    return word.strip(".,!?;:\"'()…-").lower()


def join_text(committed: str, new: str, max_overlap: int = 3) -> str:
    """``committed`` + ``new``, minus words ``new`` repeats from the end of ``committed``.

    The audio of a word cut by a pause can reach past the pause's first silent block, and
    Whisper then hears the word again at the start of the next piece ("Sure. Sure. At my").
    """
    old_words, new_words = committed.split(), new.split()
    for k in range(min(max_overlap, len(old_words), len(new_words)), 0, -1):
        if [_norm(w) for w in old_words[-k:]] == [_norm(w) for w in new_words[:k]]:
            new_words = new_words[k:]
            break
    return " ".join([*old_words, *new_words])


def join_passes(passes: Iterable[list[Stretch]]) -> list[Stretch]:
    """The stretches of the full pass's passes, in order, joined: a word cut where one pass
    ends is heard again at the start of the next and is kept once, with its word times."""
    stretches: list[Stretch] = []
    for segments in passes:
        # a pass is never dropped whole: the same short phrase may really be said twice. The
        # seam is looked for before a loop written into the silence at the end of the last
        # pass ("We'll see you next time, see you next time, ..."), which the repair drops
        text = " ".join(seg for seg, _ in _before_loop(stretches))
        said = " ".join(seg for seg, _ in segments)
        joined = join_text(text, said, max_overlap=min(3, len(said.split()) - 1))
        added = joined[len(text) :].strip()
        first = len(said.split()) - len(added.split()) if added else 0
        stretches.extend(_drop_words(segments, first))
    return stretches


def _drop_words(segments: list[Stretch], n: int) -> list[Stretch]:
    """``segments`` without their first ``n`` words (those a join found repeated), and
    without the words timestamped for them."""
    out = []
    for seg, seg_words in segments:
        words = seg.split()
        cut = min(n, len(words))
        n -= cut
        if words[cut:]:
            out.append((" ".join(words[cut:]), _drop_heard_again(seg_words, words[:cut])))
    return out


def _before_loop(stretches: list[Stretch]) -> list[Stretch]:
    """``stretches`` without the degenerate ones at their end."""
    end = len(stretches)
    while end and degenerate(stretches[end - 1][0]):
        end -= 1
    return stretches[:end]


def _drop_heard_again(words: list[Word], dropped: list[str]) -> list[Word]:
    """A stretch's words without the leading ones its text lost at the join (``dropped``),
    so the word timestamps hold each word once, as the text does."""
    n = 0
    while n < min(len(dropped), len(words)) and _norm(words[n].word) == _norm(dropped[n]):
        n += 1
    return words[n:]
