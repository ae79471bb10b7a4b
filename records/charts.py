"""Charts as SVG strings drawn on the server: no JavaScript, nothing fetched (the page and the
monthly PDF embed the same markup). Pure functions; every text is XML-escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

__all__ = ["PALETTE", "rate_lines"]

PALETTE = ("#7a1f1f", "#1f5f7a", "#3d7a1f", "#b36b00", "#5a3d8a", "#6b6b6b", "#0f8a7a",
           "#a3306a")
FONT = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


def _f(x: float) -> str:
    return f"{x:.1f}"


def rate_lines(title: str, labels: Sequence[str],
               series: Mapping[str, Sequence[float | None]], *,
               width: int = 640, height: int = 280) -> str:
    """Lines of rates (0..1) over `labels` (e.g. months), one per series (e.g. department).
    A None is a gap: nothing came due that month. Returns a standalone <svg> element."""
    left, right, top, bottom = 44, 120, 30, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(labels) > 1 else left + plot_w / 2

    def y(rate: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, rate)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)} '
           f'font-family={quoteattr(FONT)} font-size="11">',
           f"<title>{escape(title)}</title>",
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        ty = y(tick)
        out.append(f'<line x1="{left}" y1="{_f(ty)}" x2="{left + plot_w}" y2="{_f(ty)}" '
                   f'stroke="#ddd" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{_f(ty + 4)}" text-anchor="end" fill="#555">'
                   f"{tick:.0%}</text>")
    for i, label in enumerate(labels):
        out.append(f'<text x="{_f(x(i))}" y="{height - bottom + 16}" text-anchor="middle" '
                   f'fill="#555">{escape(label)}</text>')
    if not series:
        out.append(f'<text x="{_f(left + plot_w / 2)}" y="{_f(top + plot_h / 2)}" '
                   f'text-anchor="middle" fill="#888">这段时间没有到期的交接。</text>')
    for n, (name, rates) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        for segment in _segments(rates):
            points = " ".join(f"{_f(x(i))},{_f(y(r))}" for i, r in segment)
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                       f'stroke-width="2"/>')
        for i, rate in enumerate(rates):
            if rate is None:
                continue
            tip = f"{name} {labels[i] if i < len(labels) else ''}：{rate:.0%}"
            out.append(f'<circle cx="{_f(x(i))}" cy="{_f(y(rate))}" r="3" fill="{colour}">'
                       f"<title>{escape(tip)}</title></circle>")
        ly = top + 6 + n * 16
        lx = left + plot_w + 12
        out.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly + 1}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _segments(rates: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values; a lone point gets no line, only its dot."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, rate in enumerate(rates):
        if rate is None:
            runs.append([])
        else:
            runs[-1].append((i, rate))
    return [run for run in runs if len(run) > 1]
