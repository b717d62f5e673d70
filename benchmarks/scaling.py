"""N simulated interviews at once over the WebSocket protocol: one process against a Ray cluster.

    PYTHONPATH=. python benchmarks/scaling.py --levels 2 4 8 --questions 1 --out scaling.json

For each mode (``single``: ``interviewer serve``; ``cluster``: a two-node Ray cluster this
script starts on loopback, 127.0.0.2 and 127.0.0.3, and ``interviewer serve --ray``) it starts
the server with the real engines, then runs each level: N browsers at once, each setting up an
interview and speaking the demo's scripted candidate answers (rendered with the candidate voice)
in 32 ms PCM blocks at real time, silence between them, as the page's microphone does. After
the answers, the closing question gets a typed "No, thank you.".

Reported per level, over all the spoken answers of its interviews, from the turns the server
stored: ``response_ms`` (end of turn detected -> the interviewer's voice starts) and
``voice_to_voice_ms`` (end of the candidate's speech -> the voice starts); ``substance_ms`` is
the server's own per-interview summary (p50 over the interviews' p50s, max of their p95s);
``client_v2v_ms``: the last answer block sent -> the first voice block received, at the client.
Every wait is bounded; only loopback addresses are used; the cluster's processes (found by the
temp folder this script gave them) are killed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BLOCK = 512  # samples: 32 ms at 16 kHz, as the page sends them
INTERVIEW_TIMEOUT_S = 300.0
SERVER_START_S = 600.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def render(texts: list[str]) -> list[np.ndarray]:
    """The scripted candidate's answers in the candidate voice, 16 kHz float32."""
    from interviewer.audio.candidate import candidate_voice, render_text
    from interviewer.config import load_settings

    voice = candidate_voice(load_settings(), None, seed=0)
    return [render_text(voice, t) for t in texts]


def pcm(audio: np.ndarray) -> bytes:
    from interviewer.web.duplex import float_to_pcm16

    return float_to_pcm16(audio)


async def one_interview(base: str, answers: list[bytes], questions: int) -> dict[str, Any]:
    import httpx
    import websockets

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await http.get("/")
        form = {
            "role": "data_scientist",
            "level": "mid",
            "type": "behavioral",
            "questions": str(questions),
            "follow_ups": "0",
            "company": "",
            "notes": "",
        }
        r = await http.post("/interviews", data=form, headers={"origin": base})
        location = r.headers.get("location", "")
        assert r.status_code == 303 and location.startswith("/interview/"), r.text[:300]
        ticket = location.rsplit("/", 1)[1]
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    url = base.replace("http://", "ws://") + f"/ws/interview/{ticket}"
    out: dict[str, Any] = {"session": None, "client_v2v_s": [], "status": None}
    silence = bytes(2 * BLOCK)
    queue: list[bytes] = []
    spoken_end: list[float | None] = [None]
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie, "Origin": base}, max_size=1 << 20
    ) as ws:

        async def mic() -> None:
            t0 = time.monotonic()
            n = 0
            while True:
                block = queue.pop(0) if queue else silence
                await ws.send(block)
                if block is not silence and not queue:
                    spoken_end[0] = time.monotonic()
                n += 1
                await asyncio.sleep(max(0.0, t0 + n * BLOCK / 16000 - time.monotonic()))

        sender = asyncio.create_task(mic())
        pending = list(answers)
        try:
            async with asyncio.timeout(INTERVIEW_TIMEOUT_S):
                async for raw in ws:
                    if isinstance(raw, bytes):
                        if spoken_end[0] is not None:
                            out["client_v2v_s"].append(time.monotonic() - spoken_end[0])
                            spoken_end[0] = None
                        continue
                    m = json.loads(raw)
                    if m["type"] == "session":
                        out["session"] = m["id"]
                    elif m["type"] == "state" and m["state"] == "listening" and not queue:
                        if pending:
                            data = pending.pop(0)
                            queue.extend(
                                data[i : i + 2 * BLOCK] for i in range(0, len(data), 2 * BLOCK)
                            )
                        else:
                            await ws.send(json.dumps({"type": "text", "text": "No, thank you."}))
                    elif m["type"] == "state" and m["state"] == "ended":
                        out["status"] = m.get("status")
                        break
        finally:
            sender.cancel()
            with contextlib.suppress(BaseException):
                await sender
    return out


async def run_level(base: str, n: int, answers: list[bytes], questions: int) -> dict[str, Any]:
    async def staggered(i: int) -> dict[str, Any]:
        await asyncio.sleep(1.3 * i)  # turns do not all end in the same block
        rotated = answers[i % len(answers) :] + answers[: i % len(answers)]
        return await one_interview(base, rotated[:questions], questions)

    t0 = time.monotonic()
    results = await asyncio.gather(*(staggered(i) for i in range(n)), return_exceptions=True)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    ok = [r for r in results if isinstance(r, dict)]
    return {"n": n, "wall_s": round(time.monotonic() - t0, 1), "results": ok, "errors": errors}


def pct(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "count": 0}
    arr = np.asarray(values) * 1000.0
    return {"p50": round(float(np.percentile(arr, 50)), 1),
            "p95": round(float(np.percentile(arr, 95)), 1), "count": len(values)}  # fmt: skip


def summarise(db: Path, level: dict[str, Any]) -> dict[str, Any]:
    from interviewer.store import Store

    resp, v2v, sub50, sub95 = [], [], [], []
    with Store.open(db) as store:
        for r in level["results"]:
            if not r["session"]:
                continue
            rec = store.get_session(r["session"])
            for t in rec.turns:
                play, end = t.latency.get("playback_start"), t.latency.get("endpoint")
                spoke = t.latency.get("speech_end")
                if play is not None and end is not None:
                    resp.append(play - end)
                if play is not None and spoke is not None:
                    v2v.append(play - spoke)
            sub = (rec.summary or {}).get("substance_ms") or {}
            if sub.get("p50") is not None:
                sub50.append(sub["p50"])
                sub95.append(sub["p95"])
    client = [s for r in level["results"] for s in r["client_v2v_s"]]
    return {
        "interviews": level["n"],
        "finished": sum(r["status"] == "finished" for r in level["results"]),
        "errors": level["errors"],
        "wall_s": level["wall_s"],
        "response_ms": pct(resp),
        "voice_to_voice_ms": pct(v2v),
        "substance_ms": {
            "p50_of_p50s": float(np.median(sub50)) if sub50 else None,
            "max_p95": max(sub95) if sub95 else None,
        },
        "client_v2v_ms": pct(client),
    }


def start_cluster(tmp: Path, env: dict[str, str]) -> str:
    port = free_port("127.0.0.2")
    ray = [sys.executable, "-m", "ray.scripts.scripts", "start", "--disable-usage-stats",
           "--num-cpus=4", "--object-store-memory=200000000"]  # fmt: skip
    subprocess.run([*ray, "--head", "--node-ip-address=127.0.0.2", f"--port={port}",
                    f"--temp-dir={tmp / 'head'}", "--include-dashboard=false"],
                   env=env, check=True, timeout=300, capture_output=True)  # fmt: skip
    subprocess.run([*ray, f"--address=127.0.0.2:{port}", "--node-ip-address=127.0.0.3",
                    f"--temp-dir={tmp / 'node'}"], env=env, check=True, timeout=300,
                   capture_output=True)  # fmt: skip
    return f"127.0.0.2:{port}"


def kill_marked(marker: str) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                        os.kill(int(entry.name), sig)
        time.sleep(0.5)


def run_mode(mode: str, args: argparse.Namespace, answers: list[bytes]) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix=f"scaling-{mode}-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), RAY_USAGE_STATS_ENABLED="0")
    db = tmp / "bench.duckdb"
    port = free_port()
    cmd = [sys.executable, "-m", "interviewer", "serve", "--port", str(port), "--no-browser",
           "--preload", "--db", str(db), "--max-interviews", str(max(args.levels))]  # fmt: skip
    if not args.live_scoring:
        cmd.append("--no-live-scoring")
    server = None
    try:
        if mode == "cluster":
            cmd += ["--ray", start_cluster(tmp, env), "--replicas", str(args.replicas)]
        server = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=sys.stderr, text=True
        )
        deadline = time.monotonic() + SERVER_START_S
        assert server.stdout is not None
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line and server.poll() is not None:
                raise RuntimeError(f"{mode} server exited with {server.returncode}")
            if "interviewer web app:" in line:
                break
        base = f"http://127.0.0.1:{port}"
        levels = []
        for n in args.levels:
            print(f"[{mode}] {n} interviews at once", file=sys.stderr, flush=True)
            levels.append(asyncio.run(run_level(base, n, answers, args.questions)))
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=120)
            if server.poll() is None:
                server.kill()
        if mode == "cluster":
            kill_marked(str(tmp))
    return [summarise(db, lv) | {"mode": mode} for lv in levels]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--levels", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--questions", type=int, default=1, help="spoken answers per interview")
    ap.add_argument("--modes", nargs="+", default=["single", "cluster"])
    ap.add_argument("--replicas", type=int, default=1, help="cluster: replicas per engine")
    ap.add_argument("--live-scoring", action="store_true", help="score with the LLM meanwhile")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from interviewer.bench.e2e import ANSWERS

    texts = [ANSWERS[i] for i in (0, 2, 4, 6)]
    answers = [pcm(a) for a in render(texts)]
    rows = [row for mode in args.modes for row in run_mode(mode, args, answers)]
    doc = {"levels": args.levels, "questions": args.questions, "rows": rows,
           "cpu_count": os.cpu_count()}  # fmt: skip
    text = json.dumps(doc, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
