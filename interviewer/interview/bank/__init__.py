"""The question bank: schema, loader, validator and editor for the files in ``questionbank/``.

The package is split along its seams: :mod:`.schema` (pydantic models and :class:`Bank`),
:mod:`.loading` (``load_bank`` with file:line errors) and :mod:`.editing` (``bank add`` and
``bank import``, comment-preserving through ruamel.yaml). Everything is re-exported here.

Bank files are written by hand and imported from users, so every validation error is a single
line that names the file, the line and the field, e.g.
``questionbank/ds.yaml:42: questions[3].rubric.criteria[0].anchors: field required``. To get the
line, each file is composed into a YAML node tree (which keeps start marks) and a pydantic error's
``loc`` path is walked down that tree.

A bank file is a YAML mapping with any of these top-level keys:

``questions``
    a list of :class:`Question`;
``companies``
    a list of :class:`CompanyProfile`;
``roles``
    extra role ids (snake_case) that questions in any loaded file may use besides
    :data:`KNOWN_ROLES`;
``definitions``
    ignored by the loader; a place to define YAML anchors (``&star``) that questions reuse with
    aliases (``*star``), so shared rubric criteria are written once.
"""

from interviewer.interview.bank.editing import add_question, import_bank_file
from interviewer.interview.bank.loading import load_bank, validate_bank_files
from interviewer.interview.bank.schema import (
    ANCHOR_LEVELS,
    BANK_SUFFIXES,
    DEFAULT_BANK_DIR,
    DIFFICULTY_BY_LEVEL,
    KNOWN_ROLES,
    LEVELS,
    QUESTION_TYPES,
    Bank,
    BankFile,
    CompanyFact,
    CompanyProfile,
    Criterion,
    Level,
    Question,
    QuestionType,
    RedFlag,
    Rubric,
    Source,
)

__all__ = [
    "ANCHOR_LEVELS",
    "BANK_SUFFIXES",
    "DEFAULT_BANK_DIR",
    "DIFFICULTY_BY_LEVEL",
    "KNOWN_ROLES",
    "LEVELS",
    "QUESTION_TYPES",
    "Bank",
    "BankFile",
    "CompanyFact",
    "CompanyProfile",
    "Criterion",
    "Level",
    "Question",
    "QuestionType",
    "RedFlag",
    "Rubric",
    "Source",
    "add_question",
    "import_bank_file",
    "load_bank",
    "validate_bank_files",
]
