"""Reports: one interview (Markdown for the terminal, self-contained HTML) and progress across
a user's interviews.

``render_html(build_report(store, session_id, bank=bank))`` is the page the CLI writes and the
web app serves; ``render_progress_html(store, user_id, bank=bank)`` the progress page.
"""

from __future__ import annotations

from interviewer.interview.bank import Bank
from interviewer.report.model import Report, build_report
from interviewer.report.progress import Progress, build_progress
from interviewer.report.render import (
    progress_html,
    progress_markdown,
    render_html,
    render_markdown,
)
from interviewer.store import Store


def render_progress_html(store: Store, user_id: str = "local", *, bank: Bank) -> str:
    """The progress page of ``user_id``'s stored interviews."""
    return progress_html(build_progress(store, user_id, bank=bank))


__all__ = [
    "Progress",
    "Report",
    "build_progress",
    "build_report",
    "progress_html",
    "progress_markdown",
    "render_html",
    "render_markdown",
    "render_progress_html",
]
