"""Small inline SVG charts: no script, no library, nothing fetched.

Every chart is an ``img`` to assistive technology with a label that states its numbers; pages put the same
figures in a table beside it. Colours come from CSS classes so the stylesheet decides them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def sparkline(values: Sequence[float], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A line of response times; the label carries the figures a sighted reader would take from it."""
    if len(values) < 2:
        return Markup("")
    top = max(values) or 1.0
    step = width / (len(values) - 1)
    pad = 2
    points = " ".join(
        f"{_num(i * step)},{_num(pad + (height - 2 * pad) * (1 - v / top))}" for i, v in enumerate(values)
    )
    return Markup(  # noqa: S704 - label escaped, numbers formatted
        f'<svg class="wb-spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" preserveAspectRatio="none">'
        f"<title>{escape(label)}</title>"
        f'<polyline points="{points}" fill="none" stroke="currentColor" stroke-width="1.5" '
        f'vector-effect="non-scaling-stroke" stroke-linejoin="round"/></svg>'
    )


@dataclass(frozen=True)
class Column:
    label: str
    parts: Mapping[str, float]
    """Series name -> value, stacked bottom to top in the chart's series order."""


def stacked_columns(
    columns: Sequence[Column],
    *,
    series: Sequence[str],
    label: str,
    width: int = 640,
    height: int = 200,
) -> Markup:
    """Vertical stacked columns, e.g. incidents per month by severity."""
    if not columns:
        return Markup("")
    axis = 24
    top_pad = 14
    totals = [sum(c.parts.get(s, 0.0) for s in series) for c in columns]
    top = max(max(totals), 1.0)
    slot = (width - 8) / len(columns)
    bar = max(slot * 0.6, 2.0)
    plot = height - axis - top_pad
    out = [
        f'<svg class="wb-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>",
        f'<line class="wb-axis" x1="4" y1="{height - axis}" x2="{width - 4}" y2="{height - axis}"/>',
    ]
    for index, (column, total) in enumerate(zip(columns, totals, strict=True)):
        x = 4 + index * slot + (slot - bar) / 2
        y: float = height - axis
        for position, name in enumerate(series):
            value = column.parts.get(name, 0.0)
            if value <= 0:
                continue
            h = plot * value / top
            y -= h
            out.append(
                f'<rect class="wb-series-{position}" x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" '
                f'height="{_num(h)}"/>'
            )
        if total:
            out.append(
                f'<text class="wb-chart-value" x="{_num(x + bar / 2)}" y="{_num(y - 3)}" '
                f'text-anchor="middle">{_num(total)}</text>'
            )
        out.append(
            f'<text class="wb-chart-label" x="{_num(x + bar / 2)}" y="{height - 8}" '
            f'text-anchor="middle">{escape(column.label)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text part above is escaped


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    """What to print at the end of the bar (the value with its unit)."""


def horizontal_bars(bars: Sequence[Bar], *, label: str, width: int = 640, row: int = 26) -> Markup:
    """One bar per row with its label on the left and value on the right, e.g. mean time to resolve."""
    if not bars:
        return Markup("")
    label_width = 150
    value_width = 90
    track = width - label_width - value_width
    top = max((b.value for b in bars), default=0.0) or 1.0
    height = row * len(bars) + 4
    out = [
        f'<svg class="wb-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    ]
    for index, item in enumerate(bars):
        y = 2 + index * row
        w = max(track * item.value / top, 0.0)
        out.append(
            f'<text class="wb-chart-label" x="{label_width - 8}" y="{y + row * 0.65:.1f}" '
            f'text-anchor="end">{escape(item.label)}</text>'
            f'<rect class="wb-series-{index % 4}" x="{label_width}" y="{y + 4}" width="{_num(w)}" '
            f'height="{row - 10}" rx="2"/>'
            f'<text class="wb-chart-value" x="{_num(label_width + w + 6)}" y="{y + row * 0.65:.1f}">'
            f"{escape(item.text)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text part above is escaped


def meter(share: float, *, label: str, width: int = 200, height: int = 10, css: str = "") -> Markup:
    """A filled track for a share between 0 and 1 (error budget left, monitoring share)."""
    clamped = min(max(share, 0.0), 1.0)
    return Markup(  # noqa: S704 - label and class escaped, numbers formatted
        f'<svg class="wb-meter {escape(css)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<rect class="wb-meter-track" width="{width}" height="{height}" rx="{height / 2:.0f}"/>'
        f'<rect class="wb-meter-fill" width="{_num(width * clamped)}" height="{height}" rx="{height / 2:.0f}"/>'
        "</svg>"
    )


def _nice_top(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``value``: round axis labels."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(float(step * power) for step in (1, 2, 5, 10) if step * power >= value)


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Runs of measured points; a failed check (no latency) breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [run for run in runs if run]


def response_chart(
    points: Sequence[tuple[float, float | None]],
    *,
    ident: str,
    title: str,
    desc: str,
    start_label: str,
    end_label: str,
    unit: str = "ms",
    width: int = 640,
    height: int = 180,
) -> Markup:
    """Response time over time: ``points`` are (share of the time span 0..1, value or None for a failed check).

    Readable without script or colour: a labelled value axis, the span's first and last time under it, a
    ``<title>`` and ``<desc>`` the image is labelled by, failed checks as marks on the baseline.
    """
    if not points:
        return Markup("")
    left, right, top_pad, bottom = 56, 8, 10, 24
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = _nice_top(max((y for _, y in points if y is not None), default=0.0))
    base = top_pad + plot_h

    def xy(x: float, y: float) -> str:
        return f"{_num(left + plot_w * x)},{_num(base - plot_h * y / top)}"

    name = escape(ident)
    out = [
        f'<svg class="wb-chart wb-response" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{name}-t {name}-d"><title id="{name}-t">{escape(title)}</title>'
        f'<desc id="{name}-d">{escape(desc)}</desc>'
    ]
    for share in (0.0, 0.5, 1.0):
        y = base - plot_h * share
        out.append(
            f'<line class="wb-grid" x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}"/>'
            f'<text class="wb-chart-label" x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{_num(top * share)} {escape(unit)}</text>"
        )
    for run in _segments(points):
        if len(run) == 1:
            cx, cy = xy(*run[0]).split(",")
            out.append(f'<circle class="wb-response-dot" cx="{cx}" cy="{cy}" r="2"/>')
        else:
            out.append(f'<polyline class="wb-response-line" points="{" ".join(xy(x, y) for x, y in run)}"/>')
    for x, latency in points:
        if latency is None:
            px = _num(left + plot_w * x)
            out.append(f'<line class="wb-response-fail" x1="{px}" y1="{_num(base)}" x2="{px}" y2="{_num(base - 8)}"/>')
    out.append(
        f'<text class="wb-chart-label" x="{left}" y="{height - 6}">{escape(start_label)}</text>'
        f'<text class="wb-chart-label" x="{width - right}" y="{height - 6}" text-anchor="end">'
        f"{escape(end_label)}</text>"
        "</svg>"
    )
    return Markup("".join(out))  # noqa: S704 - every text part above is escaped
