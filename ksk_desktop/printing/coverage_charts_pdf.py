"""The coverage report's pictures (issue 14 §3) with reportlab graphics, from the same figures as the Báo cáo page's
charts (``ksk_desktop.reports.coverage_charts.chart_data``): people examined by month against the year's target,
examined and not yet examined by target group, the share examined and the people not examined per hamlet. Every
label is text in the PDF (Noto Sans, all Vietnamese letters), so the figures can be read back and searched."""

from __future__ import annotations

from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether

from ksk_desktop.people.persons import target_group_labels
from ksk_desktop.printing.call_list_pdf import natural_order
from ksk_desktop.printing.fonts import BOLD, REGULAR, register_fonts
from ksk_desktop.printing.page import para

EXAMINED, NOT_EXAMINED, TARGET = (
    colors.HexColor("#2e7d32"),
    colors.HexColor("#ef6c00"),
    colors.HexColor("#c62828"),
)
LIGHT = colors.HexColor("#a5d6a7")
MAX_HAMLETS = 40  # more would not fit on one page: the ones that matter most are drawn
BAR = 11  # points per hamlet


def _n(value: float) -> str:
    return f"{int(round(value)):,}".replace(",", ".")


def _legend(x: float, y: float, items: list[tuple[Any, str]]) -> Legend:
    legend = Legend()
    legend.x, legend.y = int(x), int(y)
    legend.fontName, legend.fontSize = REGULAR, 7.5
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 150
    legend.boxAnchor = "sw"
    legend.colorNamePairs = items
    return legend


def _axis_fonts(chart: Any) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName, axis.labels.fontSize = REGULAR, 7


def months_chart(data: dict, width: float) -> Drawing:
    """Bars: people first examined in each month; line: in all by the month's end; dashed: the year's target."""
    months = data["months"]
    top = max([data["target"], *((m["cumulative"] or 0) for m in months), 1]) * 1.08
    d = Drawing(width, 190)
    x0, y0, w, h = 40, 42, int(width) - 55, 125
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = x0, y0, w, h
    bars.data = [[m["examined"] for m in months]]
    bars.bars[0].fillColor = LIGHT
    bars.bars[0].strokeColor = None
    bars.categoryAxis.categoryNames = [m["label"] for m in months]
    bars.valueAxis.valueMin, bars.valueAxis.valueMax = 0, top
    bars.valueAxis.labelTextFormat = _n
    _axis_fonts(bars)
    d.add(bars)
    lines = LinePlot()
    lines.x, lines.y, lines.width, lines.height = x0, y0, w, h
    running = [(i + 0.5, m["cumulative"]) for i, m in enumerate(months) if m["cumulative"] is not None]
    lines.data = [running or [(0.5, 0)], [(0, data["target"]), (len(months), data["target"])]]
    lines.xValueAxis.valueMin, lines.xValueAxis.valueMax = 0, len(months)
    lines.yValueAxis.valueMin, lines.yValueAxis.valueMax = 0, top
    lines.xValueAxis.visible = lines.yValueAxis.visible = False
    lines.lines[0].strokeColor, lines.lines[0].strokeWidth = EXAMINED, 2
    lines.lines[1].strokeColor, lines.lines[1].strokeWidth = TARGET, 1.2
    lines.lines[1].strokeDashArray = (4, 3)
    d.add(lines)
    last = running[-1] if running else None
    if last:
        d.add(String(x0 + w * last[0] / len(months), y0 + h * last[1] / top + 5, _n(last[1]),
                     fontName=BOLD, fontSize=7.5, fillColor=EXAMINED, textAnchor="middle"))  # fmt: skip
    d.add(
        _legend(
            x0,
            2,
            [
                (EXAMINED, "Đã khám (cộng dồn)"),
                (LIGHT, "Khám trong tháng"),
                (TARGET, f"Chỉ tiêu năm ({data['target_rate']:g}%: {_n(data['target'])} người)"),
            ],
        )
    )
    return d


def groups_chart(data: dict, width: float) -> Drawing:
    labels = target_group_labels()
    rows = data["by_group"]
    d = Drawing(width, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, int(width) - 55, 115
    chart.data = [[r["examined"] for r in rows], [r["not_examined"] for r in rows]]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [
        f"Nhóm {r['group']}" if r["group"] in labels else r["group_label"] for r in rows
    ]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = _n
    chart.bars[0].fillColor, chart.bars[1].fillColor = EXAMINED, NOT_EXAMINED
    chart.barLabels.fontName, chart.barLabels.fontSize = REGULAR, 6.5
    chart.barLabelFormat = lambda v: _n(v) if v else ""
    chart.barLabels.nudge = -6
    _axis_fonts(chart)
    d.add(chart)
    d.add(_legend(40, 2, [(EXAMINED, "Đã khám"), (NOT_EXAMINED, "Chưa khám")]))
    return d


def _hamlet_bars(rows: list[dict], values: list[float], color: Any, width: float, fmt: Any) -> Drawing:
    n = max(len(rows), 1)
    d = Drawing(width, BAR * n + 30)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 150, 18, int(width) - 190, BAR * n
    chart.data = [values[::-1]]  # the first row at the top
    chart.categoryAxis.categoryNames = [r["hamlet_label"] for r in rows][::-1]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = fmt
    chart.bars[0].fillColor = color
    chart.barLabels.fontName, chart.barLabels.fontSize = REGULAR, 6.5
    chart.barLabelFormat = fmt
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    _axis_fonts(chart)
    d.add(chart)
    return d


def _hamlets(data: dict) -> list[dict]:
    return sorted(data["by_hamlet"], key=lambda r: (r["hamlet"] is None, natural_order(r["hamlet"] or "")))


def chart_flowables(data: dict, width: float, st: dict) -> list[Flowable]:
    """The section "III. Biểu đồ" of the coverage report."""
    register_fonts()
    hamlets = _hamlets(data)
    by_rate = (
        hamlets if len(hamlets) <= MAX_HAMLETS else sorted(hamlets, key=lambda r: r["rate"])[:MAX_HAMLETS]
    )
    missing = sorted(hamlets, key=lambda r: -r["not_examined"])[:MAX_HAMLETS]
    some = f" ({MAX_HAMLETS} thôn/tổ thấp nhất)" if len(hamlets) > MAX_HAMLETS else ""
    most = f" ({MAX_HAMLETS} thôn/tổ nhiều nhất)" if len(hamlets) > MAX_HAMLETS else ""

    def pct(v: float) -> str:
        return f"{v:.1f}%".replace(".", ",")

    return [
        para("III. Biểu đồ", st["heading"]),
        KeepTogether(
            [
                para("1. Số người đã khám theo tháng, so với chỉ tiêu năm", st["bold"]),
                months_chart(data, width),
            ]
        ),
        KeepTogether(
            [para("2. Đã khám và chưa khám theo nhóm đối tượng", st["bold"]), groups_chart(data, width)]
        ),
        KeepTogether(
            [
                para(f"3. Tỷ lệ đã khám theo thôn/tổ dân phố{some}", st["bold"]),
                _hamlet_bars(by_rate, [r["rate"] for r in by_rate], EXAMINED, width, pct),
            ]
        ),
        KeepTogether(
            [
                para(f"4. Số người chưa khám theo thôn/tổ dân phố{most}", st["bold"]),
                _hamlet_bars(missing, [r["not_examined"] for r in missing], NOT_EXAMINED, width, _n),
            ]
        ),
    ]
