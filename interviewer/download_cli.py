"""The downloader's command line: ``scripts/download_models.py`` and ``interviewer models
download`` (which hands its arguments over). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from interviewer.download import download_model, is_installed
from interviewer.errors import InterviewerError
from interviewer.manifest import ManifestEntry, default_manifest_path, load_manifest, one_line

__all__ = ["main", "run"]


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
    return run(
        args.names,
        list_=args.list,
        all_=args.all,
        dest=args.dest,
        manifest_path=args.manifest,
        quiet=args.quiet,
    )


def run(
    names: Sequence[str],
    *,
    list_: bool = False,
    all_: bool = False,
    dest: Path | None = None,
    manifest_path: Path | None = None,
    quiet: bool = False,
) -> int:
    """List or download manifest models; returns the exit code (errors are one line)."""
    try:
        manifest = load_manifest(manifest_path or default_manifest_path())
        dest = dest.expanduser() if dest else None
        if list_:
            _print_table(manifest, dest)
            return 0
        if all_:
            names = list(manifest)
        elif names:
            unknown = [n for n in names if n not in manifest]
            if unknown:
                print(
                    f"error: unknown model(s) {', '.join(unknown)}; known: {', '.join(manifest)}",
                    file=sys.stderr,
                )
                return 2
            names = list(dict.fromkeys(names))
        else:
            print(
                f"error: name a model, or use --all / --list; known: {', '.join(manifest)}",
                file=sys.stderr,
            )
            return 2
        root = dest or _default_dest()
        for name in names:
            folder = download_model(manifest[name], root, progress=not quiet)
            print(f"{name}: installed in {folder}")
    except InterviewerError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; .part files are kept, rerun to resume", file=sys.stderr)
        return 130
    return 0
