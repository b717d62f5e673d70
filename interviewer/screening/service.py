"""The screening mode as one object: :class:`Screening`.

The web app (``interviewer/web/screening/``) and the ``interviewer admin`` commands use it;
each part lives in its own module and is mixed in here. Every method that takes an ``actor``
checks the role and the organisation (another organisation's id is :class:`NotFound`), and
every view of a candidate, override, export, deletion and template change is written to the
append-only audit log in the same transaction as the change.
"""

from __future__ import annotations

from interviewer.screening.accounts import Accounts
from interviewer.screening.retention import Retention

__all__ = ["Screening"]


class Screening(Accounts, Retention):
    """Accounts, templates, invitations, reviews, audit and retention over one store."""
