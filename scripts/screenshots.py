#!/usr/bin/env python3
"""Regenerate docs/screenshots/*.png: the web app's pages during a real interview.

Runs the browser test (tests/test_web_browser.py: Debian's chromium, the embedded models, a
spoken answer from the fake microphone) with INTERVIEWER_SCREENSHOTS set, so the pictures show
exactly what the test checked. Needs /usr/bin/chromium and the dev extras (playwright).

Usage: scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    env = dict(os.environ)
    env["INTERVIEWER_SCREENSHOTS"] = str(args.out.resolve())
    # without a browser this must fail loudly, not skip and leave old pictures behind
    env["INTERVIEWER_REQUIRE_BROWSER"] = "1"
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/test_web_browser.py::test_a_voice_interview_in_chromium",
    ]  # fmt: skip
    code = subprocess.call(cmd, cwd=REPO, env=env)
    if code == 0:
        for png in sorted(args.out.glob("*.png")):
            print(f"{png.relative_to(REPO) if png.is_relative_to(REPO) else png}: "
                  f"{png.stat().st_size // 1024} KiB")  # fmt: skip
    return code


if __name__ == "__main__":
    raise SystemExit(main())
