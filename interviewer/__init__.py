"""interviewer: a fully local, offline voice interviewer."""

__version__ = "0.1.0"
