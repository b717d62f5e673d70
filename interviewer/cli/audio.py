"""``interviewer transcribe``, ``say`` and ``devices``: the engines and audio devices by hand."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from interviewer.cli.common import err, out, settings_of


def transcribe(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Audio file: wav, flac, mp3 or ogg.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print text, segments and words as JSON.")
    ] = False,
    beam_size: Annotated[int, typer.Option("--beam-size", min=1, max=10)] = 1,
) -> None:
    """Transcribe an audio file with the configured STT model."""
    from interviewer import engines
    from interviewer.audio.io import load_audio

    audio = load_audio(file)  # before loading the model, so a bad file fails fast
    stt = engines.load_stt(settings_of(ctx))
    result = stt.transcribe(audio, word_timestamps=as_json, beam_size=beam_size)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(result.text + "\n")


def say(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to say.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="WAV file to write.")],
    speed: Annotated[float, typer.Option(min=0.25, max=4.0, help="Speaking rate.")] = 1.0,
) -> None:
    """Synthesize TEXT with the configured voice into a WAV file."""
    from interviewer import engines
    from interviewer.audio.io import write_wav
    from interviewer.errors import AudioFileError

    if not text.strip():
        raise AudioFileError("nothing to say: TEXT is empty")
    if output.suffix.lower() != ".wav":
        raise AudioFileError(f"{output}: the output must be a .wav file")
    tts = engines.load_tts(settings_of(ctx), speed=speed)
    chunks = list(tts.synthesize(text))
    pause = np.zeros(int(0.15 * tts.sample_rate), dtype=np.float32)
    audio = np.concatenate([p for c in chunks for p in (c.audio, pause)])
    try:
        write_wav(output, audio, tts.sample_rate)
    except OSError as exc:
        raise AudioFileError(f"{output}: cannot write ({exc.strerror})") from exc
    err.print(f"wrote {output} ({len(audio) / tts.sample_rate:.2f} s, {len(chunks)} sentence(s))")


def devices() -> None:
    """List audio input and output devices (for --input-device / --output-device)."""
    from interviewer.audio.duplex import list_devices

    table = Table(title="audio devices")
    for col in ("index", "name", "inputs", "outputs", "default rate"):
        table.add_column(col)
    for d in list_devices():
        table.add_row(
            str(d["index"]),
            str(d["name"]),
            str(d["inputs"]),
            str(d["outputs"]),
            f"{float(str(d['default_rate'])):.0f}",
        )
    out.print(table)
