"""Grouped bar charts as plain geometry; the template draws them as inline SVG.

No JavaScript charting library: the numbers are computed here and drawn by the
template with <rect>s, so the chart is testable and works without scripts.
"""

from dataclasses import dataclass, field
from decimal import Decimal

PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563"]
WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 56, 28, 10


@dataclass
class Chart:
    title: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    y_ticks: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(title: str, unit: str, labels: list[str], series: dict[str, list[Decimal]]) -> Chart:
    """Bars for each label, one per series (site), scaled to the largest value."""
    chart = Chart(title, unit)
    peak = max((v for values in series.values() for v in values), default=Decimal(0))
    if not labels or peak <= 0:
        return chart
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(labels)
    bar_w = max(1.0, slot * 0.8 / max(1, len(series)))
    for s, (name, values) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        chart.legend.append({"name": name or "—", "color": color})
        for i, value in enumerate(values):
            height = float(value / peak) * plot_h
            chart.bars.append(
                {
                    "x": round(LEFT + i * slot + slot * 0.1 + s * bar_w, 1),
                    "y": round(TOP + plot_h - height, 1),
                    "w": round(bar_w, 1),
                    "h": round(height, 1),
                    "color": color,
                    "title": f"{name or '—'} {labels[i]}: {value} {unit}",
                }
            )
    step = max(1, len(labels) // 12)
    chart.x_labels = [
        {"x": round(LEFT + i * slot + slot / 2, 1), "text": label}
        for i, label in enumerate(labels)
        if i % step == 0
    ]
    chart.y_ticks = [
        {"y": round(TOP + plot_h * (1 - f), 1), "text": f"{peak * Decimal(f):.2f}".rstrip("0")}
        for f in (0, 0.5, 1)
    ]
    for tick in chart.y_ticks:
        tick["text"] = tick["text"].rstrip(".") or "0"
    return chart
