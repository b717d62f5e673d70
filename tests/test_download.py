"""Downloader tests against a real HTTP server on 127.0.0.1 (no internet, no model hub)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from interviewer import download
from interviewer.download import (
    ManifestEntry,
    ManifestFile,
    default_manifest_path,
    download_model,
    is_installed,
    load_manifest,
)
from interviewer.download_cli import main
from interviewer.errors import ChecksumError, ConfigError, DownloadError

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "download_models.py"


# --------------------------------------------------------------------------- local file server


class FileServer:
    """Serves in-memory files; honours ``Range: bytes=N-`` unless told not to."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        #: name -> name it redirects to (302), as Hugging Face's resolve/ URLs do to a CDN
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.ignore_range = False
        #: close the connection after this many body bytes (once), to cut a transfer short
        self.cut_after: int | None = None
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        # A short poll interval keeps shutdown (one per test) fast.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                range_header = self.headers.get("Range")
                with server.lock:
                    server.requests.append((name, range_header))
                    cut, server.cut_after = server.cut_after, None
                if name in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.url(server.redirects[name]))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = server.files.get(name)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                m = re.fullmatch(r"bytes=(\d+)-", range_header or "")
                if m and not server.ignore_range:
                    start = int(m.group(1))
                    if start >= len(data):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                # HTTP/1.0: returning closes the socket, so the client sees a short body.
                self.wfile.write(body if cut is None else body[:cut])

        return Handler


@pytest.fixture()
def server() -> Iterator[FileServer]:
    srv = FileServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


def make_entry(
    srv: FileServer, name: str, files: dict[str, bytes], *, sha_override: str | None = None
) -> ManifestEntry:
    """Publish ``files`` on the server and describe them as a manifest entry."""
    manifest_files = []
    for path, data in files.items():
        url_name = f"{name}/{path}"
        srv.files[url_name] = data
        manifest_files.append(
            ManifestFile(
                path=path,
                url=srv.url(url_name),
                sha256=sha_override or hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        )
    return ManifestEntry(
        name=name,
        role="llm",
        description="test model",
        format="gguf",
        license="MIT",
        files=tuple(manifest_files),
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ---------------------------------------------------------------------------------- downloading


def test_full_download_verifies_and_writes_marker(server: FileServer, tmp_path: Path) -> None:
    weights, config = os.urandom(300_000), b'{"hello": 1}\n'
    entry = make_entry(server, "m1", {"model.gguf": weights, "sub/config.json": config})

    folder = download_model(entry, tmp_path, progress=True)

    assert folder == tmp_path / "m1"
    assert (folder / "model.gguf").read_bytes() == weights
    assert (folder / "sub" / "config.json").read_bytes() == config
    assert not list(folder.rglob("*.part"))
    marker = json.loads((folder / ".complete").read_text())
    assert marker["name"] == "m1"
    assert marker["files"] == ["model.gguf", "sub/config.json"]
    assert marker["sha256s"]["model.gguf"] == hashlib.sha256(weights).hexdigest()
    assert marker["timestamp"]
    assert is_installed(entry, tmp_path)
    assert [r for _, r in server.requests] == [None, None]


def test_redirect_is_followed_and_resume_asks_the_target(
    server: FileServer, tmp_path: Path
) -> None:
    data = os.urandom(200_000)
    entry = make_entry(server, "m12", {"model.gguf": data})
    server.files["cdn/blob"] = server.files.pop("m12/model.gguf")
    server.redirects["m12/model.gguf"] = "cdn/blob"
    part = tmp_path / "m12" / "model.gguf.part"
    part.parent.mkdir()
    part.write_bytes(data[:50_000])

    download_model(entry, tmp_path, progress=False)

    assert (tmp_path / "m12" / "model.gguf").read_bytes() == data
    # The Range header travels with the redirect, so the resume fetches only the rest.
    assert server.requests == [("m12/model.gguf", "bytes=50000-"), ("cdn/blob", "bytes=50000-")]


def test_interrupted_transfer_keeps_part_and_resumes(server: FileServer, tmp_path: Path) -> None:
    data = os.urandom(400_000)
    entry = make_entry(server, "m2", {"model.gguf": data})
    server.cut_after = 150_000

    with pytest.raises(DownloadError) as info:
        download_model(entry, tmp_path, progress=False)
    part = tmp_path / "m2" / "model.gguf.part"
    assert part.stat().st_size == 150_000
    assert ".part" in str(info.value) and "rerun" in str(info.value)
    assert not (tmp_path / "m2" / "model.gguf").exists()
    assert not is_installed(entry, tmp_path)

    download_model(entry, tmp_path, progress=False)

    assert server.requests[-1] == ("m2/model.gguf", "bytes=150000-")
    assert (tmp_path / "m2" / "model.gguf").read_bytes() == data
    assert not part.exists()
    assert is_installed(entry, tmp_path)


def test_server_ignoring_range_restarts_from_zero(server: FileServer, tmp_path: Path) -> None:
    data = os.urandom(200_000)
    entry = make_entry(server, "m3", {"model.gguf": data})
    server.ignore_range = True
    folder = tmp_path / "m3"
    folder.mkdir()
    # Bytes that are not a prefix of the file: appending to them would fail the checksum.
    (folder / "model.gguf.part").write_bytes(b"x" * 5_000)

    download_model(entry, tmp_path, progress=False)

    assert server.requests == [("m3/model.gguf", "bytes=5000-")]
    assert (folder / "model.gguf").read_bytes() == data
    assert not (folder / "model.gguf.part").exists()


def test_part_larger_than_expected_is_discarded(server: FileServer, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    entry = make_entry(server, "m4", {"model.gguf": data})
    (tmp_path / "m4").mkdir()
    (tmp_path / "m4" / "model.gguf.part").write_bytes(os.urandom(60_000))

    download_model(entry, tmp_path, progress=False)

    assert server.requests == [("m4/model.gguf", None)]
    assert (tmp_path / "m4" / "model.gguf").read_bytes() == data


def test_checksum_mismatch_removes_part(server: FileServer, tmp_path: Path) -> None:
    data = os.urandom(100_000)
    wrong = hashlib.sha256(b"something else").hexdigest()
    entry = make_entry(server, "m5", {"model.gguf": data}, sha_override=wrong)

    with pytest.raises(ChecksumError) as info:
        download_model(entry, tmp_path, progress=False)

    message = str(info.value)
    assert "\n" not in message
    assert "model.gguf" in message
    assert wrong in message and hashlib.sha256(data).hexdigest() in message
    folder = tmp_path / "m5"
    assert not (folder / "model.gguf").exists()
    assert not (folder / "model.gguf.part").exists()
    assert not (folder / ".complete").exists()


def test_http_404_is_a_download_error(server: FileServer, tmp_path: Path) -> None:
    entry = make_entry(server, "m6", {"model.gguf": b"abc"})
    del server.files["m6/model.gguf"]

    with pytest.raises(DownloadError) as info:
        download_model(entry, tmp_path, progress=False)

    assert not isinstance(info.value, ChecksumError)
    assert "HTTP 404" in str(info.value)
    url = entry.files[0].url
    assert url is not None and url in str(info.value)
    assert "\n" not in str(info.value)


def test_no_network_keeps_part(tmp_path: Path) -> None:
    data = b"z" * 1000
    entry = ManifestEntry(
        name="m7",
        role="stt",
        description="d",
        format="ctranslate2",
        license="MIT",
        files=(
            ManifestFile(
                path="model.bin",
                url=f"http://127.0.0.1:{closed_port()}/model.bin",
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            ),
        ),
    )
    part = tmp_path / "m7" / "model.bin.part"
    part.parent.mkdir()
    part.write_bytes(data[:300])

    with pytest.raises(DownloadError) as info:
        download_model(entry, tmp_path, progress=False, timeout=5)

    message = str(info.value)
    assert "network unreachable" in message
    assert ".part" in message and "\n" not in message
    assert part.read_bytes() == data[:300]


def test_full_disk_keeps_part_and_names_folder(
    server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(300_000)
    entry = make_entry(server, "m8", {"model.gguf": data})
    real_write = download._write_all
    calls = {"n": 0}

    def write_then_fill_disk(fh, chunk):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fh, chunk)

    monkeypatch.setattr(download, "_write_all", write_then_fill_disk)

    with pytest.raises(DownloadError) as info:
        download_model(entry, tmp_path, progress=False, chunk_size=65_536)

    message = str(info.value)
    part = tmp_path / "m8" / "model.gguf.part"
    assert "space" in message
    assert str(tmp_path / "m8") in message
    assert str(len(data) - 65_536) in message  # bytes still needed
    assert part.stat().st_size == 65_536

    monkeypatch.setattr(download, "_write_all", real_write)
    download_model(entry, tmp_path, progress=False)
    assert server.requests[-1][1] == "bytes=65536-"
    assert (tmp_path / "m8" / "model.gguf").read_bytes() == data


def test_installed_model_is_skipped_without_request(server: FileServer, tmp_path: Path) -> None:
    entry = make_entry(server, "m9", {"model.gguf": os.urandom(20_000)})
    download_model(entry, tmp_path, progress=False)
    assert len(server.requests) == 1

    assert download_model(entry, tmp_path, progress=False) == tmp_path / "m9"
    assert len(server.requests) == 1


def test_correct_files_without_marker_are_not_fetched(server: FileServer, tmp_path: Path) -> None:
    data = os.urandom(20_000)
    entry = make_entry(server, "m10", {"model.gguf": data})
    (tmp_path / "m10").mkdir()
    (tmp_path / "m10" / "model.gguf").write_bytes(data)

    download_model(entry, tmp_path, progress=False)

    assert server.requests == []
    assert is_installed(entry, tmp_path)


def test_truncated_installed_file_is_not_installed(server: FileServer, tmp_path: Path) -> None:
    data = os.urandom(20_000)
    entry = make_entry(server, "m11", {"model.gguf": data})
    download_model(entry, tmp_path, progress=False)
    (tmp_path / "m11" / "model.gguf").write_bytes(data[:100])

    assert not is_installed(entry, tmp_path)
    download_model(entry, tmp_path, progress=False)
    assert (tmp_path / "m11" / "model.gguf").read_bytes() == data
    assert len(server.requests) == 2


# ------------------------------------------------------------------------------------ manifest

GOOD_SHA = "a" * 64


def write_manifest(
    path: Path, *, role: str = "llm", file_path: str = "m.gguf", **file_kw: object
) -> Path:
    fields = {
        "path": file_path,
        "url": "https://example.invalid/m.gguf",
        "sha256": GOOD_SHA,
        "size": 10,
    }
    fields.update(file_kw)
    lines = [
        '[models."tiny"]',
        f'role = "{role}"',
        'format = "gguf"',
        'description = "tiny test model"',
        'license = "MIT"',
        '[[models."tiny".files]]',
    ]
    for key, value in fields.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_valid_manifest_loads(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path / "manifest.toml", sha256="AB" * 32))
    entry = manifest["tiny"]
    assert entry.role == "llm" and entry.format == "gguf"
    assert entry.files == (
        ManifestFile(
            path="m.gguf", url="https://example.invalid/m.gguf", sha256="ab" * 32, size=10
        ),
    )
    assert entry.total_size == 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sha256": "abc123"}, ".sha256"),
        ({"sha256": "g" * 64}, ".sha256"),
        ({"file_path": "../escape.gguf"}, ".path"),
        ({"file_path": "/etc/passwd"}, ".path"),
        ({"file_path": "a/../../b"}, ".path"),
        ({"role": "asr"}, ".role"),
        ({"size": 0}, ".size"),
        ({"size": -5}, ".size"),
        ({"url": "ftp://example.invalid/m"}, ".url"),
    ],
)
def test_manifest_validation_names_the_field(
    tmp_path: Path, kwargs: dict[str, object], field: str
) -> None:
    path = write_manifest(tmp_path / "bad.toml", **kwargs)  # type: ignore[arg-type]

    with pytest.raises(ConfigError) as info:
        load_manifest(path)

    message = str(info.value)
    assert field in message
    assert str(path) in message and '"tiny"' in message
    assert "\n" not in message


def test_manifest_missing_key_and_bad_toml(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    missing.write_text('[models."x"]\nrole = "stt"\nformat = "piper"\n')
    with pytest.raises(ConfigError, match=r"missing description, files, license"):
        load_manifest(missing)

    broken = tmp_path / "broken.toml"
    broken.write_text("[models\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_manifest(broken)

    with pytest.raises(ConfigError, match="no such manifest"):
        load_manifest(tmp_path / "absent.toml")


def test_default_manifest_path_env_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INTERVIEWER_MANIFEST", raising=False)
    assert default_manifest_path() == REPO_ROOT / "models" / "manifest.toml"
    monkeypatch.setenv("INTERVIEWER_MANIFEST", str(tmp_path / "other.toml"))
    assert default_manifest_path() == tmp_path / "other.toml"


def test_real_manifest_is_valid_and_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERVIEWER_MANIFEST", raising=False)
    manifest = load_manifest(default_manifest_path())

    assert {e.role for e in manifest.values()} >= {"stt", "llm", "tts"}
    for entry in manifest.values():
        assert entry.files, entry.name
        for f in entry.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), (entry.name, f.path)
            assert f.size > 0, (entry.name, f.path)
            if f.packages:  # joined from chunk packages on the index, each pinned
                assert all("==" in spec for spec in f.packages), f.packages
                continue
            assert f.url is not None and f.url.startswith("https://huggingface.co/"), f.url
            assert "/resolve/" in f.url and f.url.endswith(f.path), f.url
    whisper = manifest["whisper-base.en"]
    assert {f.path for f in whisper.files} == {
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    }


# ----------------------------------------------------------------------------------------- CLI


def manifest_for(entry: ManifestEntry, path: Path) -> Path:
    lines = [
        f'[models."{entry.name}"]',
        f'role = "{entry.role}"',
        f'format = "{entry.format}"',
        f'description = "{entry.description}"',
        f'license = "{entry.license}"',
    ]
    for f in entry.files:
        lines += [
            f'[[models."{entry.name}".files]]',
            f'path = "{f.path}"',
            f'url = "{f.url}"',
            f'sha256 = "{f.sha256}"',
            f"size = {f.size}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_main_list_and_download(
    server: FileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = make_entry(server, "cli-model", {"model.gguf": os.urandom(2_000_000)})
    manifest = manifest_for(entry, tmp_path / "manifest.toml")
    dest = tmp_path / "models"
    common = ["--manifest", str(manifest), "--dest", str(dest)]

    assert main(["--list", *common]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "cli-model" in line)
    assert row.split()[:4] == ["cli-model", "llm", "2", "no"]

    assert main(["cli-model", "--quiet", *common]) == 0
    assert (dest / "cli-model" / "model.gguf").stat().st_size == 2_000_000

    capsys.readouterr()
    assert main(["--list", *common]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "cli-model" in line)
    assert row.split()[3] == "yes"


def test_main_reports_errors_in_one_line(
    server: FileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = make_entry(server, "gone", {"model.gguf": b"abc"})
    del server.files["gone/model.gguf"]
    manifest = manifest_for(entry, tmp_path / "manifest.toml")

    code = main(["gone", "--quiet", "--manifest", str(manifest), "--dest", str(tmp_path)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "HTTP 404" in err
    assert err.count("\n") == 1


def test_script_unknown_name_exits_2_without_traceback(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "manifest.toml")
    env = {**os.environ, "INTERVIEWER_MODELS_DIR": str(tmp_path / "models")}

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "no-such-model", "--manifest", str(manifest)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: unknown model(s) no-such-model")
    assert "known: tiny" in lines[0]
    assert not (tmp_path / "models").exists()
