"""Model downloader: fetches the upgrades listed in ``models/manifest.toml``.

Standard library only for the transfer (``urllib.request``), so it works in a bare venv.
Every file lands as ``<file>.part`` first, is checked against the manifest's size and
sha256, and only then is renamed into place; an interrupted transfer resumes from the
``.part`` with an HTTP Range request. A ``.complete`` marker in the model folder records a
finished install, so :func:`is_installed` never has to hash gigabytes.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import http.client
import json
import os
import re
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO, Protocol

from interviewer.errors import ChecksumError, ConfigError, DownloadError, InterviewerError

ROLES = ("stt", "llm", "tts", "vad")
FORMATS = ("ctranslate2", "gguf", "piper")
MARKER = ".complete"
PART_SUFFIX = ".part"
USER_AGENT = "interviewer-model-downloader/0.1"

_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_ENTRY_KEYS = {"role", "format", "description", "license", "files"}
_FILE_KEYS = {"path", "url", "sha256", "size"}
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}


@dataclass(frozen=True)
class ManifestFile:
    """One file of a model: where it goes inside the model folder and how to check it."""

    path: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ManifestEntry:
    """One downloadable model (a folder of one or more files)."""

    name: str
    role: str
    description: str
    format: str
    license: str
    files: tuple[ManifestFile, ...]

    @property
    def total_size(self) -> int:
        """Bytes of all files together."""
        return sum(f.size for f in self.files)


# ------------------------------------------------------------------------------------ manifest


def default_manifest_path() -> Path:
    """The checkout's ``models/manifest.toml``; ``INTERVIEWER_MANIFEST`` overrides it."""
    env = os.environ.get("INTERVIEWER_MANIFEST")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1] / "models" / "manifest.toml"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _safe_relative(path: str) -> bool:
    # Checked as both POSIX and Windows paths so a manifest cannot escape the folder on either.
    if not path or "\\" in path or "\x00" in path:
        return False
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        return False
    parts = posix.parts
    return bool(parts) and all(p not in ("..", ".", "") for p in parts)


def _safe_name(name: str) -> bool:
    return _safe_relative(name) and "/" not in name and not name.startswith(".")


def _parse_file(where: str, raw: object) -> ManifestFile:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table with path, url, sha256 and size")
    missing = sorted(_FILE_KEYS - raw.keys())
    if missing:
        raise ConfigError(f"{where} is missing {', '.join(missing)}")
    unknown = sorted(raw.keys() - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(unknown)}")
    path, url, sha256, size = raw["path"], raw["url"], raw["sha256"], raw["size"]
    if not isinstance(path, str) or not _safe_relative(path):
        raise ConfigError(
            f"{where}.path {path!r} must be a relative path inside the model folder (no '..')"
        )
    if path.endswith(PART_SUFFIX) or PurePosixPath(path).name == MARKER:
        raise ConfigError(f"{where}.path {path!r} clashes with the downloader's own files")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ConfigError(f"{where}.url {url!r} must be an http(s) URL")
    if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise ConfigError(f"{where}.sha256 {sha256!r} must be 64 hex digits")
    # bool is an int subclass; `size = true` is a typo, not one byte.
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ConfigError(f"{where}.size {size!r} must be a positive number of bytes")
    return ManifestFile(path=path, url=url, sha256=sha256.lower(), size=size)


def _parse_entry(manifest: Path, name: str, raw: object) -> ManifestEntry:
    where = f'{manifest}: models."{name}"'
    if not _safe_name(name):
        raise ConfigError(f"{where}: the name must be a plain folder name (no '/', '..')")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    missing = sorted(_ENTRY_KEYS - raw.keys())
    if missing:
        raise ConfigError(f"{where} is missing {', '.join(missing)}")
    unknown = sorted(raw.keys() - _ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(unknown)}")
    if raw["role"] not in ROLES:
        raise ConfigError(f"{where}.role {raw['role']!r} is unknown; roles: {', '.join(ROLES)}")
    if raw["format"] not in FORMATS:
        raise ConfigError(
            f"{where}.format {raw['format']!r} is unknown; formats: {', '.join(FORMATS)}"
        )
    for key in ("description", "license"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise ConfigError(f"{where}.{key} must be a non-empty string")
    files_raw = raw["files"]
    if not isinstance(files_raw, list) or not files_raw:
        raise ConfigError(f"{where}.files must be a non-empty array of tables")
    files = tuple(_parse_file(f"{where}.files[{i}]", f) for i, f in enumerate(files_raw))
    seen: set[str] = set()
    for i, f in enumerate(files):
        if f.path in seen:
            raise ConfigError(f"{where}.files[{i}].path {f.path!r} is listed twice")
        seen.add(f.path)
    return ManifestEntry(
        name=name,
        role=raw["role"],
        description=_one_line(raw["description"]),
        format=raw["format"],
        license=_one_line(raw["license"]),
        files=files,
    )


def load_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Read and strictly validate a manifest; raise :class:`ConfigError` naming the field."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such manifest (set INTERVIEWER_MANIFEST)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({_one_line(exc)})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read manifest ({_one_line(exc)})") from exc
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise ConfigError(f'{path}: no [models."<name>"] tables')
    unknown = sorted(set(data) - {"models"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(unknown)}")
    return {name: _parse_entry(Path(path), name, raw) for name, raw in models.items()}


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


class _Job:
    """Downloads the files of one entry; holds what the error messages need."""

    def __init__(
        self,
        entry: ManifestEntry,
        folder: Path,
        reporter: _Reporter,
        timeout: float,
        chunk_size: int,
    ) -> None:
        self.entry = entry
        self.folder = folder
        self.reporter = reporter
        self.timeout = timeout
        self.chunk_size = chunk_size

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
        for index, mf in enumerate(self.entry.files):
            self.reporter.set_file(f"{self.entry.name}/{mf.path}")
            self.reporter.set_completed(done_before)
            self._fetch(index, mf, done_before)
            done_before += mf.size
        self.reporter.set_completed(done_before)

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

    def _open(self, url: str, have: int) -> http.client.HTTPResponse:
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and have:
                raise _RangeNotSatisfiable from exc
            raise DownloadError(
                f"HTTP {exc.code} for {url} ({_one_line(exc.reason)}); check the manifest URL"
            ) from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise self._network_error(url, exc) from exc
        return response

    def _transfer(
        self, index: int, mf: ManifestFile, part: Path, have: int, done_before: int
    ) -> None:
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
            and response.status == 206
            and _content_range_start(response.headers.get("Content-Range")) != have
        ):
            # A partial answer for some other offset cannot be appended: ask for everything.
            response.close()
            have = 0
            self.reporter.set_completed(done_before)
            response = self._open(mf.url, 0)

        with response:
            if have and response.status != 206:
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
                while True:
                    try:
                        chunk = response.read(self.chunk_size)
                    except (OSError, http.client.HTTPException) as exc:
                        raise self._interrupted(mf, received, exc) from exc
                    if not chunk:
                        break
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
                    digest.update(chunk)
                    received += len(chunk)
                    self.reporter.advance(len(chunk))
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
) -> Path:
    """Download every file of ``entry`` into ``dest_root/entry.name`` and return that folder.

    Files already in place with the right size and sha256 are kept; a ``.part`` left by an
    interrupted run is resumed. Raises :class:`DownloadError` (network, HTTP status, disk)
    or :class:`ChecksumError`; both keep the message to one line.
    """
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
        _Job(entry, folder, reporter, timeout, chunk_size).run()
    _write_marker(entry, folder)
    return folder


# ------------------------------------------------------------------------------------------ CLI


def _default_dest() -> Path:
    from interviewer.config import model_dirs

    return model_dirs()[0]


def _installed_anywhere(entry: ManifestEntry, dest: Path | None) -> bool:
    from interviewer.config import model_dirs

    roots = [dest] if dest is not None else model_dirs()
    return any(is_installed(entry, root) for root in roots)


def _print_table(manifest: dict[str, ManifestEntry], dest: Path | None) -> None:
    rows = [
        (
            e.name,
            e.role,
            f"{e.total_size / 1e6:,.0f}",
            "yes" if _installed_anywhere(e, dest) else "no",
            e.description,
        )
        for e in manifest.values()
    ]
    header = ("name", "role", "size MB", "installed", "description")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    for row in (header, *rows):
        cells = [row[i].rjust(widths[i]) if i == 2 else row[i].ljust(widths[i]) for i in range(4)]
        print("  ".join(cells) + "  " + row[4])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="download_models.py",
        description="Download model upgrades listed in models/manifest.toml (sha256-checked).",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="models to download")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--all", action="store_true", help="download every model")
    parser.add_argument("--dest", type=Path, help="folder to download into")
    parser.add_argument("--manifest", type=Path, help="manifest file to read")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``scripts/download_models.py``; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        manifest = load_manifest(args.manifest or default_manifest_path())
        dest = args.dest.expanduser() if args.dest else None
        if args.list:
            _print_table(manifest, dest)
            return 0
        if args.all:
            names = list(manifest)
        elif args.names:
            unknown = [n for n in args.names if n not in manifest]
            if unknown:
                print(
                    f"error: unknown model(s) {', '.join(unknown)}; known: {', '.join(manifest)}",
                    file=sys.stderr,
                )
                return 2
            names = list(dict.fromkeys(args.names))
        else:
            print(
                f"error: name a model, or use --all / --list; known: {', '.join(manifest)}",
                file=sys.stderr,
            )
            return 2
        root = dest or _default_dest()
        for name in names:
            folder = download_model(manifest[name], root, progress=not args.quiet)
            print(f"{name}: installed in {folder}")
    except InterviewerError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; .part files are kept, rerun to resume", file=sys.stderr)
        return 130
    return 0
