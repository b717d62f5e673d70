"""Where a screening interview's per-answer recordings live, next to the store's file.

``<db folder>/recordings/<session id>/<turn idx>.wav``: the web app writes each answer there and
serves it to reviewers; retention and deletion remove the session's folder.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

__all__ = ["delete_recordings", "recording_dir", "recording_path"]

_SESSION_ID = re.compile(r"^[0-9a-f]{4,64}$")


def recording_dir(store_path: Path, session_id: str) -> Path:
    """The folder of one session's answer recordings (a session id is hex: never a path)."""
    if not _SESSION_ID.match(session_id):
        raise ValueError(f"not a session id: {session_id!r}")
    return Path(store_path).parent / "recordings" / session_id


def recording_path(store_path: Path, session_id: str, turn_idx: int) -> Path:
    """The WAV of one answer (turn ``turn_idx`` of the session)."""
    if turn_idx < 0:
        raise ValueError(f"turn index must be >= 0, not {turn_idx}")
    return recording_dir(store_path, session_id) / f"{int(turn_idx):03d}.wav"


def delete_recordings(store_path: Path, session_id: str) -> int:
    """Remove the session's recordings; return how many files there were."""
    folder = recording_dir(store_path, session_id)
    if not folder.exists():
        return 0
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder)
    return count
