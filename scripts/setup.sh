#!/usr/bin/env bash
# Set up (or refresh) the virtual environment: CPU torch, llama-cpp-python built from source with
# only the parts we use, then this package with its test tools. Safe to run again: finished steps
# are skipped, and the compiled llama-cpp-python wheel is kept in a wheelhouse for later runs.
#
#   VENV=.venv               where the environment goes
#   PYTHON=python3           the interpreter to build it from (3.11+)
#   TORCH_INDEX_URL=...      e.g. https://download.pytorch.org/whl/cpu where PyPI would give a CUDA torch
#   LLAMA_CMAKE_ARGS=...     extra CMake flags, e.g. "-DGGML_CUDA=on" for an NVIDIA GPU build
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.13.0
LLAMA_VERSION=0.3.36
# mtmd (multimodal), tools, examples, server and tests are never used through the bindings;
# skipping them saves a large share of the compile.
LLAMA_BASE_ARGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_OPENSSL=OFF"
# A native build on a CPU that lists AMX compiles ggml's AMX kernels, and llama.cpp 0.3.36 asks
# the kernel for the tile state on its main thread only: its worker threads die on the first
# tile instruction (SIGILL at `tilezero`, seen on a 2-core Xeon VM). Explicit -mno-amx-* win
# over -march=native in GCC and Clang, so the AVX-512 kernels are kept.
NO_AMX=""
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
  NO_AMX="-DCMAKE_C_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16' -DCMAKE_CXX_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16'"
fi
CMAKE_FLAGS="$LLAMA_BASE_ARGS $NO_AMX ${LLAMA_CMAKE_ARGS:-}"

step() { printf '\n== %s\n' "$*" >&2; }
t0=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$TORCH_VERSION') else 1)" 2>/dev/null; then
  step "installing torch $TORCH_VERSION (CPU build)"
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$PY" -m pip install "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX_URL"
  else
    "$PY" -m pip install "torch==$TORCH_VERSION"
  fi
fi

if ! "$PY" -c "import llama_cpp, sys; sys.exit(0 if llama_cpp.__version__ == '$LLAMA_VERSION' else 1)" 2>/dev/null; then
  # The wheel is native code for this CPU and these flags: key the wheelhouse on both, so a
  # different machine or a CUDA build never picks up a wheel it cannot run.
  key=$( (echo "$CMAKE_FLAGS"; "$PY" -c 'import sys; print(sys.version_info[:2])'; grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-16)
  wheelhouse="${XDG_CACHE_HOME:-$HOME/.cache}/interviewer/wheels/$key"
  if ! ls "$wheelhouse"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    step "compiling llama-cpp-python $LLAMA_VERSION from source (about 20 minutes on 2 cores; once per machine)"
    mkdir -p "$wheelhouse"
    CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
      "$PY" -m pip wheel --no-cache-dir --no-deps --no-binary llama-cpp-python -w "$wheelhouse" "llama-cpp-python==$LLAMA_VERSION"
  fi
  step "installing llama-cpp-python from $wheelhouse"
  "$PY" -m pip install --no-deps "$wheelhouse"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
  "$PY" -m pip install "llama-cpp-python==$LLAMA_VERSION" --find-links "$wheelhouse"
fi

step "installing interviewer and its dependencies"
"$PY" -m pip install -q -e ".[dev]"

step "setup finished in $(( $(date +%s) - t0 )) s; run: $VENV/bin/interviewer --help"
