"""Bar charts drawn on the server as SVG: no script, no library, nothing fetched from outside
(county intranets), and they print as sharply as the text around them.

Colours and fonts come from classes styled in static/app.css (the page's Content-Security-Policy
allows no inline styles); sizes are SVG attributes in a viewBox, so a chart scales to the width
of its column on a phone, a desktop or an A4 page.
"""

from dataclasses import dataclass

from markupsafe import Markup, escape

#: the viewBox width; a phone column is about as wide, so text stays near its CSS size
WIDTH = 360
BAR_HEIGHT = 18
GAP = 8
LABEL_WIDTH = 118
VALUE_WIDTH = 40


@dataclass
class Bar:
    label: str
    value: int
    href: str | None = None
    #: a second, thinner series (e.g. returns beside open cases)
    extra: int | None = None


def _shorten(text, limit=9):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars, *, title, max_bars=15):
    """Horizontal bars, one per row, the largest first as given; each bar links where its
    number does. ``title`` names the chart for screen readers."""
    bars = list(bars)[:max_bars]
    if not bars:
        return Markup("")
    top = max((b.value for b in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        width = round(span * bar.value / top, 1) if bar.value else 0
        text_y = y + BAR_HEIGHT - 5
        row = (
            f'<text class="chart-label" x="{LABEL_WIDTH - 6}" y="{text_y}" text-anchor="end">'
            f"{escape(_shorten(bar.label))}</text>"
            f'<rect class="chart-track" x="{LABEL_WIDTH}" y="{y}" width="{span}" height="{BAR_HEIGHT}" rx="3"/>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="3"/>'
            f'<text class="chart-value" x="{WIDTH - 4}" y="{text_y}" text-anchor="end">{bar.value}</text>'
        )
        if bar.href:
            row = f'<a href="{escape(bar.href)}"><title>{escape(bar.label)}: {bar.value}</title>{row}</a>'
        parts.append(row)
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(columns, *, title, legend):
    """Vertical columns, one group per month: ``value`` (open cases) and ``extra`` (returns) side
    by side, with the month under each group. ``legend`` names the two series."""
    columns = list(columns)
    if not columns:
        return Markup("")
    height, base, top_pad = 190, 160, 14
    top = max([c.value or 0 for c in columns] + [c.extra or 0 for c in columns]) or 1
    step = (WIDTH - 10) / len(columns)
    width = max(4, step * 0.36)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="chart-axis" x1="4" y1="{base}" x2="{WIDTH - 4}" y2="{base}"/>',
    ]
    for i, col in enumerate(columns):
        x = 6 + i * step
        for offset, value, css in ((0, col.value, "chart-bar"), (width + 1, col.extra, "chart-bar2")):
            if value is None:
                continue
            h = round((base - top_pad) * value / top, 1)
            parts.append(
                f'<rect class="{css}" x="{x + offset:.1f}" y="{base - h}" width="{width:.1f}" height="{h}">'
                f"<title>{escape(col.label)}: {value}</title></rect>"
            )
        parts.append(
            f'<text class="chart-label small" x="{x + width:.1f}" y="{base + 14}" text-anchor="middle">'
            f"{escape(col.label)}</text>"
        )
    first, second = legend
    parts.append(
        f'<rect class="chart-bar" x="6" y="{height - 12}" width="10" height="10"/>'
        f'<text class="chart-label small" x="20" y="{height - 3}">{escape(first)}</text>'
        f'<rect class="chart-bar2" x="{WIDTH / 2}" y="{height - 12}" width="10" height="10"/>'
        f'<text class="chart-label small" x="{WIDTH / 2 + 14}" y="{height - 3}">{escape(second)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
