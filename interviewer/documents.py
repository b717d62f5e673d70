"""Bounded text extraction from uploaded documents.

The upload limit (2 MB) bounds the file, not what it expands into: an 11 KB PDF whose pages
share one 10 MB content stream becomes 52 MB of text after 20 s of CPU. So a PDF is read in a
child process with limits on its CPU time, memory and wall time; inside it, pages with an
oversized content stream are skipped, reading stops after :data:`MAX_PDF_PAGES` pages or
:data:`MAX_DOCUMENT_CHARS` characters, and pypdf's warnings are counted instead of printed.
Whatever is cut is said in :attr:`Extracted.notices`, which the interview page shows.

Run as ``python -m interviewer.documents FILE LIMITS`` it is that child (LIMITS: JSON, the
parent's current values); it writes one JSON object on stdout.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError
from interviewer.textsafe import storable

log = logging.getLogger(__name__)

#: characters of text kept per document (a long résumé is ~20 k)
MAX_DOCUMENT_CHARS = 200_000
#: pages read from one PDF
MAX_PDF_PAGES = 100
#: a page's decoded content stream at most (a text-heavy page is ~50 KB); larger pages are skipped
MAX_PAGE_CONTENT_BYTES = 512 * 1024
#: decoded content streams of all pages read, together
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
#: the child process: CPU seconds, wall seconds, address space
EXTRACT_CPU_S = 10
EXTRACT_WALL_S = 30.0
EXTRACT_MEMORY_BYTES = 1024 * 1024 * 1024


class DocumentError(InterviewerError):
    """The document cannot be read; the message says why, without any path."""


@dataclass
class Extracted:
    text: str
    notices: list[str] = field(default_factory=list)
    warnings: int = 0


def normalise(text: str) -> str:
    """As :func:`interviewer.interview.spec.load_document` does: no trailing blanks, no runs
    of blank lines, storable, and at most :data:`MAX_DOCUMENT_CHARS` characters."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return storable(re.sub(r"\n{3,}", "\n\n", text).strip())


def cap(extracted: Extracted, *, cut: bool = False) -> Extracted:
    """At most :data:`MAX_DOCUMENT_CHARS` characters; ``cut``: the reader already stopped."""
    if cut or len(extracted.text) > MAX_DOCUMENT_CHARS:
        extracted.text = extracted.text[:MAX_DOCUMENT_CHARS]
        extracted.notices.append(f"only the first {MAX_DOCUMENT_CHARS:,} characters were kept")
    return extracted


def extract_pdf(path: Path) -> Extracted:
    """The text of a PDF, read in a child process with CPU, memory and time limits."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "interviewer.documents", str(path), json.dumps(_limits())],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=EXTRACT_WALL_S,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DocumentError(
            f"reading the PDF took longer than {EXTRACT_WALL_S:g} s; save it again as a "
            "simpler PDF or paste its text into a .txt file"
        ) from None
    if done.returncode != 0:
        if done.returncode < 0 or b"MemoryError" in done.stderr[-2000:]:
            raise DocumentError(
                f"reading the PDF needed more than {EXTRACT_CPU_S} s of CPU or "
                f"{EXTRACT_MEMORY_BYTES >> 20} MB of memory; save it again as a simpler PDF "
                "or paste its text into a .txt file"
            )
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise DocumentError(f"cannot read PDF ({last[0][:200]})")
    result = json.loads(done.stdout)
    if result.get("error"):
        raise DocumentError(result["error"])
    extracted = Extracted(normalise(result["text"]), list(result["notices"]), result["warnings"])
    if extracted.warnings:
        # one line, not pypdf's hundreds of kilobytes on a hostile file
        log.warning(
            "PDF upload: %d warnings while reading it (first: %s)",
            extracted.warnings,
            result.get("first_warning", "")[:200],
        )
    return cap(extracted, cut=bool(result.get("cut")))


def _limits() -> dict[str, int]:
    """The parent's current limits, handed to the child on its command line."""
    return {
        "chars": MAX_DOCUMENT_CHARS,
        "pages": MAX_PDF_PAGES,
        "page_bytes": MAX_PAGE_CONTENT_BYTES,
        "content_bytes": MAX_PDF_CONTENT_BYTES,
        "cpu_s": EXTRACT_CPU_S,
        "memory_bytes": EXTRACT_MEMORY_BYTES,
    }


def limit_this_process(cpu_s: int, memory_bytes: int) -> None:
    """The child limits itself before it opens the file (not in a ``preexec_fn``: forking a
    threaded server and running Python before ``exec`` can deadlock). Past the CPU limit the
    kernel sends SIGXCPU; past the memory limit allocations fail."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX: the parent's wall-time limit remains
        return
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if not self.first:
            self.first = record.getMessage()[:200]


def read_pdf_bounded(path: Path, limits: dict[str, int] | None = None) -> dict[str, Any]:
    """The child's work: the JSON-able result, or ``{"error": ...}`` for a bad file."""
    from pypdf import PdfReader

    limit = {**_limits(), **(limits or {})}
    max_chars, max_pages = limit["chars"], limit["pages"]
    page_bytes, content_bytes = limit["page_bytes"], limit["content_bytes"]
    counter = _Count()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(counter)
    pypdf_log.propagate = False
    notices: list[str] = []
    parts: list[str] = []
    cut = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                return {"error": "PDF is password-protected; save an unprotected copy"}
            pages = reader.pages
            chars = content = skipped = 0
            for number, page in enumerate(pages):
                if number >= max_pages:
                    notices.append(f"only the first {max_pages} pages were read")
                    break
                stream = page.get_contents()
                size = len(stream.get_data()) if stream is not None else 0
                if size > page_bytes or content + size > content_bytes:
                    skipped += 1
                    continue
                content += size
                text = page.extract_text() or ""
                parts.append(text)
                chars += len(text)
                if chars > max_chars:
                    cut = True
                    break
            if skipped:
                notices.append(
                    f"{skipped} page(s) were skipped: their content is larger than "
                    f"{page_bytes // 1024} KB (or all pages together over "
                    f"{content_bytes // 1024} KB)"
                )
        except Exception as exc:
            # pypdf raises a zoo of exception types on damaged files; for the user they all
            # mean the same thing
            return {"error": f"cannot read PDF ({type(exc).__name__}: {str(exc)[:200]})"}
    count = counter.count + len(caught)
    first = counter.first or (str(caught[0].message)[:200] if caught else "")
    text = "\n".join(parts)[: max_chars + 1]
    return {
        "text": text,
        "cut": cut,
        "notices": notices,
        "warnings": count,
        "first_warning": first,
    }


if __name__ == "__main__":  # pragma: no cover - exercised through extract_pdf
    given = {**_limits(), **(json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})}
    limit_this_process(int(given["cpu_s"]), int(given["memory_bytes"]))
    sys.stdout.write(json.dumps(read_pdf_bounded(Path(sys.argv[1]), given)))
