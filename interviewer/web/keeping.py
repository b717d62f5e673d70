"""Storing a web interview's answers so that a failed write loses nothing.

The text that enters the app is made storable where it enters
(:func:`interviewer.textsafe.storable`); this is the net behind it. A write that still fails
(a full disk, a locked file, a bug) is retried with every string made storable; an answer that
cannot be stored even then stays in memory, is tried again when the interview ends, and is
finally written as JSON beside the store, so what the candidate said is never lost. The
session's status is written even when the last plan update fails, so the history never shows a
finished interview as running.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.pipeline.records import ExchangeRecord
from interviewer.store import StoreError
from interviewer.textsafe import storable_data

if TYPE_CHECKING:
    from interviewer.session import Interview

log = logging.getLogger(__name__)

ATTEMPTS = 3
PAUSE_S = 0.2


def stored_turns(interview: Interview) -> int | None:
    try:
        return len(interview.store.get_session(interview.session_id).turns)
    except StoreError:
        return None


def record_exchange(interview: Interview, record: ExchangeRecord, stored_before: int) -> bool:
    """Store one answer (``stored_before``: turns the session had); False if it could not be.

    A retry happens only when the turn itself is missing: when only the plan update after it
    failed, the next exchange or the end of the interview writes the plan again.
    """
    clean = record
    for attempt in range(ATTEMPTS):
        try:
            interview.record_exchange(clean)
            return True
        except StoreError as exc:
            log.warning("session %s: storing an answer failed: %s", interview.session_id, exc)
            now = stored_turns(interview)
            if now is not None and now > stored_before:
                return True
            clean = ExchangeRecord.from_json(storable_data(record.to_json()))
            time.sleep(PAUSE_S * (attempt + 1))
    return False


def finish(
    interview: Interview,
    unsaved: list[ExchangeRecord],
    *,
    interrupted: bool,
    summary: dict[str, Any] | None,
    scoring_timeout: float | None,
) -> bool:
    """``Interview.finish`` with the answers still unsaved tried first; the status is written
    even if the rest fails. True when everything, status included, is stored."""
    ok = True
    for record in list(unsaved):
        stored = stored_turns(interview)
        if stored is not None and record_exchange(interview, record, stored):
            unsaved.remove(record)
    if unsaved:
        ok = False
        _keep_aside(interview, unsaved)
    try:
        if scoring_timeout is None:
            interview.finish(interrupted=interrupted, summary=summary)
        else:
            interview.finish(
                interrupted=interrupted, summary=summary, scoring_timeout=scoring_timeout
            )
        return ok
    except StoreError as exc:
        log.warning("session %s: finishing failed: %s", interview.session_id, exc)
    status = "interrupted" if interrupted else "finished"
    for attempt in range(ATTEMPTS):
        try:
            interview.store.set_status(interview.session_id, status, storable_data(summary))
            return False
        except StoreError as exc:
            log.error("session %s: writing its status failed: %s", interview.session_id, exc)
            time.sleep(PAUSE_S * (attempt + 1))
    return False


def _keep_aside(interview: Interview, records: list[ExchangeRecord]) -> None:
    """The last resort: the answers as JSON beside the store, for a person to recover."""
    path = Path(interview.store.path)
    target = path.with_name(f"{path.name}.unsaved-{interview.session_id}.json")
    try:
        target.write_text(
            json.dumps(
                {
                    "session": interview.session_id,
                    "answers": storable_data([r.to_json() for r in records]),
                }
            ),
            encoding="utf-8",
        )
        log.error("session %s: %d answer(s) kept in %s", interview.session_id, len(records), target)
    except OSError as exc:
        log.error("session %s: answers lost: %s; %r", interview.session_id, exc, records)
