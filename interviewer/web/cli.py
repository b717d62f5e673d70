"""The ``interviewer serve`` command (registered in interviewer/cli.py).

Imports of FastAPI/uvicorn stay inside the function so the CLI starts fast.
"""

from __future__ import annotations


def serve() -> None:
    """Run the local web app."""
    raise SystemExit("interviewer serve: not built yet")
