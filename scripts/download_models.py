#!/usr/bin/env python3
"""Download the model upgrades listed in models/manifest.toml.

Usage: download_models.py [NAME ...] [--list] [--all] [--dest DIR] [--manifest FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a checkout without installing the package: make `interviewer` importable.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from interviewer.download_cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
