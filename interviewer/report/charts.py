"""Small inline SVG charts for the HTML report.

Hand-written rather than matplotlib: a report carries a dozen of these, and matplotlib's SVG
embeds every glyph as a path (tens of kB per chart, text not selectable, slow to import in the
web server). These are a few hundred bytes each, use the page's font, and need no network.
Every label goes through ``escape``: question text and words are untrusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#3b6fb6", "#d9822b", "#3f9c5a", "#b0413e", "#7a5ba6", "#2a9d9d")


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    vmax: float = 5.0,
    title: str = "",
    width: int = 560,
    css_class: str = "chart bar-chart",
) -> str:
    """Horizontal bars, one per (label, value), on a 0..vmax axis."""
    row, label_w, pad = 26, 190, 8
    height = row * len(items) + 34
    plot_w = width - label_w - 50
    out = [
        f'<svg class="{css_class}" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in range(int(vmax) + 1):
        x = label_w + plot_w * tick / vmax
        out.append(
            f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 24}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="#666">{tick}</text>'
        )
    for i, (label, value) in enumerate(items):
        y = 6 + i * row
        w = max(0.0, min(value, vmax)) / vmax * plot_w
        color = PALETTE[i % len(PALETTE)]
        out.append(
            f'<text x="{label_w - pad}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(label.replace('_', ' '))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{color}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" font-size="12">{_fmt(value)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None]]],
    labels: Sequence[str],
    *,
    title: str = "",
    vmin: float | None = None,
    vmax: float | None = None,
    width: int = 560,
    height: int = 220,
) -> str:
    """One polyline per series over shared x labels (``None`` leaves a gap)."""
    values = [v for _, vs in series for v in vs if v is not None]
    lo = vmin if vmin is not None else (min(values) if values else 0.0)
    hi = vmax if vmax is not None else (max(values) if values else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    left, right, top, bottom = 40, 10, 10, 40
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + pw * i / n if len(labels) > 1 else left + pw / 2, top + ph * (hi - v) / (
            hi - lo
        )

    out = [
        f'<svg class="chart line-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    ]
    for k in range(5):
        tick = lo + (hi - lo) * k / 4
        _, y = xy(0, tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#666">{_fmt(tick)}</text>'
        )
    for i, label in enumerate(labels):
        x, _ = xy(i, lo)
        out.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10" '
            f'text-anchor="middle" fill="#666">{escape(label)}</text>'
        )
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(xy(i, v))
            x, y = runs[-1][-1]
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)}: {_fmt(v)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                out.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
        out.append(
            f'<text x="{left + 8 + 140 * s}" y="{height - 6}" font-size="11" '
            f'fill="{color}">■ {escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def timeline(
    marks: Sequence[tuple[float, float, str, str]],
    pauses: Sequence[tuple[float, float]],
    *,
    width: int = 720,
    title: str = "",
) -> str:
    """One answer over time: a tick per word (hesitations and low-confidence words coloured),
    long pauses shaded, seconds on the axis."""
    if not marks:
        return ""
    t0 = marks[0][0]
    span = max(marks[-1][1] - t0, 1.0)
    left, right, height = 10, 10, 58
    pw = width - left - right
    colors = {"word": "#3b6fb6", "hesitation": "#d9822b", "uncertain": "#aaa"}

    def x(t: float) -> float:
        return left + pw * (t - t0) / span

    out = [
        f'<svg class="chart timeline" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    ]
    for a, b in pauses:
        out.append(
            f'<rect x="{x(a):.1f}" y="6" width="{max(1.0, x(b) - x(a)):.1f}" height="26" '
            f'fill="#f3c6c4"><title>pause {b - a:.1f} s</title></rect>'
        )
    for start, end, word, kind in marks:
        h = 26 if kind == "hesitation" else 18
        out.append(
            f'<rect x="{x(start):.1f}" y="{32 - h}" width="{max(1.5, x(end) - x(start)):.1f}" '
            f'height="{h}" fill="{colors[kind]}"><title>{escape(word)} '
            f"({start - t0:.1f} s)</title></rect>"
        )
    step = 5 if span <= 60 else 15
    for s in range(0, int(span) + 1, step):
        out.append(
            f'<text x="{x(t0 + s):.1f}" y="48" font-size="10" text-anchor="middle" '
            f'fill="#666">{s}s</text>'
        )
    out.append("</svg>")
    return "".join(out)
