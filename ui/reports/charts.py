"""The Báo cáo page's pictures (issue 14 §3), drawn with QtCharts from the figures the core computed on the worker
(``ksk_desktop.reports.coverage_charts.chart_data``): nothing here reads the database.

- "Theo tháng": people examined each month (bars) and in all by the month's end (line), against the year's target;
- "Theo nhóm": examined and not yet examined in each target group (stacked bars);
- "Theo thôn": the share examined in each hamlet (bars);
- "Chưa khám theo thôn": how many are not examined yet in each hamlet, most first (bars).

A click on a bar opens the people not examined behind it (the page's drill-down): ``opened`` carries the same
row shape as the table's rows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QScrollArea, QTabWidget, QWidget

from ksk_desktop.people.persons import target_group_labels
from ksk_desktop.printing.call_list_pdf import natural_order
from ksk_desktop.scheduling import coverage
from ui.i18n import format_number

EXAMINED, NOT_EXAMINED, TARGET = QColor("#2e7d32"), QColor("#ef6c00"), QColor("#c62828")
BAR_HEIGHT = 26  # pixels per hamlet in the horizontal charts


def hamlet_rows(data: dict) -> list[dict]:
    """The hamlets in natural order (Thôn 2 before Thôn 10), the people with none last."""
    return sorted(data["by_hamlet"], key=lambda r: (r["hamlet"] is None, natural_order(r["hamlet"] or "")))


def group_text(row: dict) -> str:
    labels = target_group_labels()
    g = row["group"]
    return f"Nhóm {g}" if g in labels else row["group_label"]


def drill_row(hamlet: Any, group: Any, title: str) -> dict:
    """A row for the page's drill-down: its filter and its title."""
    return {"_filter": (hamlet, group), "_hamlet_text": title, "_group_text": ""}


def _axes(chart: QChart, series: Any, categories: list[str], *, horizontal: bool) -> QValueAxis:
    """The categories along one side (in full, never cut short), the counts along the other, round numbers."""
    chart.addSeries(series)
    names, values = QBarCategoryAxis(), QValueAxis()
    names.setTruncateLabels(False)
    names.append(categories)
    values.setLabelFormat("%d")
    chart.addAxis(names, Qt.AlignmentFlag.AlignLeft if horizontal else Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom if horizontal else Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(values)
    series.attachAxis(names)
    values.applyNiceNumbers()
    return values


class _View(QChartView):
    def __init__(self, title: str, parent: QWidget) -> None:
        chart = QChart()
        chart.setTitle(title)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)

    def reset(self) -> QChart:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        return chart


class CoverageCharts(QTabWidget):
    opened = Signal(dict)  # a drill-down row (see drill_row)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coverageCharts")
        self.data: dict | None = None
        self.month_view = _View("Số người đã khám theo tháng", self)
        self.group_view = _View("Theo nhóm đối tượng", self)
        self.hamlet_view = _View("Tỷ lệ đã khám theo thôn/tổ dân phố (%)", self)
        self.missing_view = _View("Số người chưa khám theo thôn/tổ dân phố", self)
        self.addTab(self.month_view, "Theo tháng")
        self.addTab(self.group_view, "Theo nhóm")
        self.addTab(self._scrolled(self.hamlet_view), "Theo thôn")
        self.addTab(self._scrolled(self.missing_view), "Chưa khám theo thôn")
        self.series: dict[str, Any] = {}
        self.hamlet_order: list[dict] = []
        self.missing_order: list[dict] = []
        self.group_order: list[dict] = []

    def _scrolled(self, view: QChartView) -> QWidget:
        area = QScrollArea(self)
        area.setWidgetResizable(True)
        area.setWidget(view)
        return area

    # -- drawing ---------------------------------------------------------------------------------------------------
    def show_data(self, data: dict) -> None:
        self.data = data
        self._months(data)
        self._groups(data)
        self._hamlets(data)
        self._missing(data)

    def _months(self, data: dict) -> None:
        chart = self.month_view.reset()
        chart.setTitle(
            f"Năm {data['year']}: số người đã khám theo tháng, so với chỉ tiêu {data['target_rate']:g}% "
            f"({format_number(data['target'])} người)"
        )
        months = data["months"]
        bars = QBarSet("Khám trong tháng")
        bars.setColor(EXAMINED.lighter(150))
        bars.append([float(m["examined"]) for m in months])
        monthly = QBarSeries()
        monthly.append(bars)
        running = QLineSeries()
        running.setName("Đã khám (cộng dồn)")
        running.setPen(QPen(EXAMINED, 3))
        for i, m in enumerate(months):
            if m["cumulative"] is not None:
                running.append(QPointF(i, m["cumulative"]))
        target = QLineSeries()
        target.setName(f"Chỉ tiêu năm ({data['target_rate']:g}%)")
        target.setPen(QPen(TARGET, 2, Qt.PenStyle.DashLine))
        target.append(QPointF(0, data["target"]))
        target.append(QPointF(len(months) - 1, data["target"]))
        for s in (monthly, running, target):
            chart.addSeries(s)
        x = QBarCategoryAxis()
        x.append([m["label"] for m in months])
        y = QValueAxis()
        y.setRange(0, max(data["target"], max((m["cumulative"] or 0) for m in months), 1) * 1.05)
        y.applyNiceNumbers()
        y.setLabelFormat("%d")
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        for s in (monthly, running, target):
            s.attachAxis(x)
            s.attachAxis(y)
        self.series.update(monthly=bars, running=running, target=target)

    def _stack(self, rows: list[dict], horizontal: bool = False) -> tuple[Any, QBarSet, QBarSet]:
        done, left = QBarSet("Đã khám"), QBarSet("Chưa khám")
        done.setColor(EXAMINED)
        left.setColor(NOT_EXAMINED)
        done.append([float(r["examined"]) for r in rows])
        left.append([float(r["not_examined"]) for r in rows])
        series = QStackedBarSeries()
        series.append(done)
        series.append(left)
        return series, done, left

    def _groups(self, data: dict) -> None:
        chart = self.group_view.reset()
        self.group_order = list(data["by_group"])
        series, done, left = self._stack(self.group_order)
        series.setLabelsVisible(True)
        series.clicked.connect(lambda index, _set: self._open_group(index))
        _axes(chart, series, [group_text(r) for r in self.group_order], horizontal=False)
        self.series.update(group_done=done, group_left=left, group_series=series)

    def _horizontal(
        self, view: _View, rows: list[dict], values: list[float], name: str, color: QColor
    ) -> QBarSet:
        chart = view.reset()
        bars = QBarSet(name)
        bars.setColor(color)
        bars.append(values[::-1])  # the first row at the top
        series = QHorizontalBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        _axes(chart, series, [r["hamlet_label"] for r in rows][::-1], horizontal=True)
        view.setMinimumHeight(90 + BAR_HEIGHT * max(len(rows), 1))
        series.clicked.connect(lambda index, _set: self._open_hamlet(rows, len(rows) - 1 - index))
        return bars

    def _hamlets(self, data: dict) -> None:
        self.hamlet_order = hamlet_rows(data)
        bars = self._horizontal(
            self.hamlet_view,
            self.hamlet_order,
            [r["rate"] for r in self.hamlet_order],
            "Tỷ lệ đã khám (%)",
            EXAMINED,
        )
        axis = next(a for a in self.hamlet_view.chart().axes() if isinstance(a, QValueAxis))
        axis.setRange(0, 100)
        self.series["hamlet_rate"] = bars

    def _missing(self, data: dict) -> None:
        self.missing_order = sorted(hamlet_rows(data), key=lambda r: -r["not_examined"])
        self.series["hamlet_missing"] = self._horizontal(
            self.missing_view,
            self.missing_order,
            [float(r["not_examined"]) for r in self.missing_order],
            "Chưa khám",
            NOT_EXAMINED,
        )

    # -- clicks --------------------------------------------------------------------------------------------------
    def _open_group(self, index: int) -> None:
        if 0 <= index < len(self.group_order):
            r = self.group_order[index]
            self.opened.emit(drill_row(None, r["group"] if r["group"] is not None else "", group_text(r)))

    def _open_hamlet(self, rows: list[dict], index: int) -> None:
        if 0 <= index < len(rows):
            r = rows[index]
            hamlet = r["hamlet"] if r["hamlet"] is not None else coverage.NO_HAMLET
            self.opened.emit(drill_row(hamlet, None, r["hamlet_label"]))
