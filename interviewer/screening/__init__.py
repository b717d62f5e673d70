"""Company screening mode: accounts, versioned templates, invitations, reviews, audit, retention.

See docs/screening.md for the setup and docs/architecture.md for how it fits the pipeline.
"""

from interviewer.screening.errors import (
    Forbidden,
    InvalidInput,
    LinkInvalid,
    LoginRefused,
    NotFound,
    RateLimited,
    ScreeningError,
)
from interviewer.screening.invitations import InterviewSetup
from interviewer.screening.models import (
    AuditEntry,
    CandidateResult,
    DashboardRow,
    FairnessCheck,
    Invitation,
    Org,
    PurgeReport,
    Review,
    Role,
    Template,
    TemplateDraft,
    TemplateQuestion,
    User,
)
from interviewer.screening.recordings import recording_dir, recording_path
from interviewer.screening.service import Screening

__all__ = [
    "AuditEntry",
    "CandidateResult",
    "DashboardRow",
    "FairnessCheck",
    "Forbidden",
    "InterviewSetup",
    "InvalidInput",
    "Invitation",
    "LinkInvalid",
    "LoginRefused",
    "NotFound",
    "Org",
    "PurgeReport",
    "RateLimited",
    "Review",
    "Role",
    "Screening",
    "ScreeningError",
    "Template",
    "TemplateDraft",
    "TemplateQuestion",
    "User",
    "recording_dir",
    "recording_path",
]
