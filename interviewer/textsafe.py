"""Text the store can hold: no lone surrogates, no NULs.

Python strings may carry lone UTF-16 surrogates (``"\\ud800"``, from JSON or a browser) and NUL
characters; neither can be encoded as UTF-8 for DuckDB, and a write that fails on them loses the
answer it carried. Everything that comes from outside (a typed answer, a form field, a file name,
a document's text) passes through :func:`storable` where it enters, so later code never sees them.
"""

from __future__ import annotations

import re
from typing import Any

#: lone surrogates and the C0 controls that are not whitespace (NUL above all)
_UNSTORABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD and control characters (NUL, ESC…) removed.

    Tabs and newlines stay. Valid text comes back unchanged (the same object).
    """
    if text.isascii() and text.isprintable():
        return text
    return _UNSTORABLE.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    return REPLACEMENT if "\ud800" <= match.group() <= "\udfff" else ""


def storable_data(value: Any) -> Any:
    """:func:`storable` applied to every string in nested dicts, lists and tuples."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_data(k): storable_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(storable_data(v) for v in value)
    return value
