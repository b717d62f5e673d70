"""Typed errors. Only ``cli.py`` turns them into messages and exit codes."""

from __future__ import annotations


class InterviewerError(Exception):
    """Base class: ``str(err)`` is a one-line message that names the file or the fix."""

    exit_code = 2


class AudioFileError(InterviewerError):
    """An audio file is missing, empty, corrupt or not audio at all."""


class ModelError(InterviewerError):
    """A model is missing, truncated or fails to load."""


class LLMPreempted(ModelError):
    """A background call (scoring) gave way to a foreground one (the interviewer's reply), or
    was cancelled; the caller retries later or falls back to rules."""


class ModelNotFoundError(ModelError):
    """No model file or folder where one was expected."""


class ConfigError(InterviewerError):
    """A configuration file or flag value is invalid."""


class DownloadError(InterviewerError):
    """A model download failed (network, HTTP status, disk)."""


class ChecksumError(DownloadError):
    """A downloaded file does not match the sha256 in the manifest."""


class DeviceError(InterviewerError):
    """The requested compute device (cuda) is not available."""
