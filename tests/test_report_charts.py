"""Pictures on the Báo cáo page (issue 14 §3): the core's month-by-month figures follow from the exams signed in
the test, and every chart series shows exactly the core's figures; a click on a bar opens the people behind it."""

from __future__ import annotations

from datetime import date

import pytest
from exam_support import STAFF_PASSWORD, add_staff, staff

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.exams.demo import sign_synthetic_exams
from ksk_desktop.people import persons
from ksk_desktop.reports import coverage_charts
from ksk_desktop.scheduling import coverage
from ui.reports.page import ReportsPage

MARCH, JUNE, NOVEMBER = date(2026, 3, 10), date(2026, 6, 5), date(2026, 11, 20)


@pytest.fixture
def session_clock():
    return frozen_clock()  # 26/11/2026: December is still to come


@pytest.fixture
def world(admin_session, station, session_clock):
    """150 synthetic adults; 10 examined in March, 15 in June, 8 in November of whom 3 already in March."""
    ctx = admin_session
    rows = [
        p
        for p in generate_people(400, seed=5, commune_code=COMMUNE, reference_date=FROZEN_DAY)
        if p.get("birth_year") and 1950 <= p["birth_year"] <= 2000
    ][:150]
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    add_staff(ctx)
    with ctx.read() as s:
        from sqlalchemy import text

        ids = [r[0] for r in s.execute(text("SELECT id FROM person ORDER BY id"))]
    paths, _ = station
    doctor = staff(paths, "bacsi", clock=session_clock)
    try:
        sign_synthetic_exams(doctor, STAFF_PASSWORD, ids[:10], MARCH)
        sign_synthetic_exams(doctor, STAFF_PASSWORD, ids[10:25], JUNE)
        sign_synthetic_exams(doctor, STAFF_PASSWORD, ids[:3] + ids[25:30], NOVEMBER)
    finally:
        doctor.close()
    return {"ctx": ctx, "ids": ids}


def test_months_follow_the_signed_exams(world) -> None:
    data = coverage_charts.chart_data(world["ctx"], 2026)
    months = {m["month"]: m for m in data["months"]}
    assert [months[m]["examined"] for m in range(1, 13)] == [0, 0, 10, 0, 0, 15, 0, 0, 0, 0, 5, 0]
    assert [months[m]["cumulative"] for m in (2, 3, 6, 10, 11)] == [0, 10, 25, 25, 30]
    assert months[12]["cumulative"] is None  # still to come on 26/11
    assert months[11]["cumulative"] == data["totals"]["examined"] == 30
    assert data["target"] == data["totals"]["total"] == 150 and data["target_rate"] == 100
    past = coverage_charts.by_month(world["ctx"], 2026, date(2027, 1, 5))
    assert past[11]["cumulative"] == 30  # a finished year: every month has its total


@pytest.fixture
def page(qtbot, world):
    widget = ReportsPage(None)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.set_session(world["ctx"])
    return widget


def _values(barset) -> list[float]:
    return [barset.at(i) for i in range(barset.count())]


def test_chart_series_equal_the_core_figures(qtbot, page, world) -> None:
    core = coverage_charts.chart_data(world["ctx"], 2026)
    charts = page.charts
    page.views.setCurrentWidget(charts)
    for tab in range(charts.count()):
        charts.setCurrentIndex(tab)  # every chart drawn on screen
    months = core["months"]
    assert _values(charts.series["monthly"]) == [m["examined"] for m in months]
    running = charts.series["running"]
    assert [(p.x(), p.y()) for p in running.points()] == [
        (i, m["cumulative"]) for i, m in enumerate(months) if m["cumulative"] is not None
    ]
    assert {p.y() for p in charts.series["target"].points()} == {core["target"]}
    assert _values(charts.series["group_done"]) == [r["examined"] for r in core["by_group"]]
    assert _values(charts.series["group_left"]) == [r["not_examined"] for r in core["by_group"]]
    by_hamlet = {r["hamlet_label"]: r for r in core["by_hamlet"]}
    shown_rates = _values(charts.series["hamlet_rate"])[::-1]  # drawn bottom-up
    assert shown_rates == [by_hamlet[r["hamlet_label"]]["rate"] for r in charts.hamlet_order]
    missing = _values(charts.series["hamlet_missing"])[::-1]
    assert missing == sorted((r["not_examined"] for r in core["by_hamlet"]), reverse=True)
    assert sum(missing) == core["totals"]["not_examined"]


def test_a_bar_opens_the_people_behind_it(qtbot, page, world) -> None:
    charts = page.charts
    core = coverage.coverage(world["ctx"], 2026)
    for _ in range(2):  # twice in a row
        worst = charts.missing_order[0]
        bars = charts.series["hamlet_missing"]
        series = next(s for s in charts.missing_view.chart().series())
        series.clicked.emit(bars.count() - 1, bars)  # the top bar: the hamlet with most people not examined
        dialog = page.drill_dialog
        assert dialog is not None and dialog.model.hamlet == (worst["hamlet"] or coverage.NO_HAMLET)
        qtbot.waitUntil(lambda d=dialog: d.model.ready, timeout=10_000)
        assert dialog.model.total == worst["not_examined"]
        dialog.reject()
        group_series = charts.series["group_series"]
        first = core["by_group"][0]
        group_series.clicked.emit(0, charts.series["group_done"])
        dialog = page.drill_dialog
        assert dialog.model.group == (first["group"] if first["group"] is not None else "")
        assert dialog.model.hamlet is None
        qtbot.waitUntil(lambda d=dialog: d.model.ready, timeout=10_000)
        assert dialog.model.total == first["not_examined"]
        dialog.reject()


def test_the_coverage_pdf_carries_the_charts(world, tmp_path) -> None:
    import subprocess

    from ksk_desktop.printing import jobs

    core = coverage_charts.chart_data(world["ctx"], 2026)
    printed = jobs.print_coverage(world["ctx"], 2026, tmp_path / "bao-cao.pdf")
    text = subprocess.run(
        ["pdftotext", str(printed.path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "III. Biểu đồ" in text
    charts = text[text.index("III. Biểu đồ") :]  # the tables above name the hamlets too
    for label in (
        "Số người đã khám theo tháng, so với chỉ tiêu năm",
        "Đã khám (cộng dồn)",
        "Khám trong tháng",
        f"Chỉ tiêu năm (100%: {core['target']} người)",
        "Đã khám và chưa khám theo nhóm đối tượng",
        "Tỷ lệ đã khám theo thôn/tổ dân phố",
        "Số người chưa khám theo thôn/tổ dân phố",
    ):
        assert label in charts, label
    words = charts.split()
    assert all(f"T{m}" in words for m in range(1, 13))
    assert "30" in words  # the running total's label at November
    for r in core["by_group"]:
        assert (f"Nhóm {r['group']}" if r["group"] else r["group_label"]) in charts
    for r in core["by_hamlet"]:
        assert r["hamlet_label"] in charts
        assert f"{r['rate']:.1f}%".replace(".", ",") in words
    missing = [w for w in words if w.isdigit()]
    for r in core["by_hamlet"]:
        if r["not_examined"]:
            assert str(r["not_examined"]) in missing
