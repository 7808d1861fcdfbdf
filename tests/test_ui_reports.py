"""The "Báo cáo" page on a real encrypted station: the coverage table equals the core's coverage() figures in
every view, the drill-down lists exactly the people behind a figure, the .xlsx export reads back, and only
roles with Perm.REPORT_READ see it."""

from __future__ import annotations

from datetime import timedelta

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import board, campaigns, checkin, coverage, days, planner, sites
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ui.i18n import format_number
from ui.reports.page import ReportsPage

TODAY = FROZEN_DAY  # the sessions' clock is frozen on it


@pytest.fixture
def session_clock():
    return frozen_clock(TODAY)


DOCTOR, DOCTOR_PASSWORD = "bacsi", "Bac-si-khoa-2026"
RECEPTION, RECEPTION_PASSWORD = "letan", "Le-tan-khoa-2026"


def q(ctx, sql: str, **params):
    with ctx.read() as s:
        return s.execute(text(sql), params).all()


@pytest.fixture
def world(admin_session, station, session_clock):
    """250 people (plus one with no hamlet and no group), a day today and one tomorrow, planned; five examined."""
    ctx = admin_session
    rows = generate_people(250, seed=3, commune_code=COMMUNE, reference_date=TODAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    persons.create_person(ctx, persons.PersonInput(full_name="Trần Văn Lẻ", birth_year=1980, sex="M"))
    camp = campaigns.create_campaign(ctx, name="KSK", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm", capacity_per_hour=20)
    today = days.add_day(ctx, site_id=site.id, day=TODAY, hours="07:30-09:30")
    days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=1), hours="07:30-09:30")
    planner.plan(
        ctx, camp.id, TODAY, TODAY + timedelta(days=1), population=planner.Population(groups={"a", "c"})
    )
    users.add_user(ctx, DOCTOR, "doctor", DOCTOR_PASSWORD, "BS. Thử")
    users.add_user(ctx, RECEPTION, "reception", RECEPTION_PASSWORD, "ĐD. Thử")
    paths, _ = station
    doctor = login(paths, DOCTOR, DOCTOR_PASSWORD, clock=session_clock)
    try:
        for (aid,) in q(ctx, "SELECT id FROM appointment WHERE day_id = :d ORDER BY id LIMIT 5", d=today.id):
            checkin.checkin_by_appointment(doctor, aid)
            board.mark_examined(doctor, aid)
    finally:
        doctor.close()
    return {"ctx": ctx, "paths": paths}


@pytest.fixture
def page(qtbot, world):
    widget = ReportsPage(None)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.set_session(world["ctx"])
    return widget


def shown(page: ReportsPage) -> list[list[str]]:
    m = page.model
    return [[m.text(r, c) for c in range(m.columnCount())] for r in range(m.rowCount())]


def figures(row: dict) -> list[str]:
    return [format_number(row[k]) for k in ("total", "examined", "booked", "not_booked", "not_examined")] + [
        f"{row['rate']:.1f}".replace(".", ",")
    ]


def test_coverage_table_equals_the_core(qtbot, page, world):
    cov = coverage.coverage(world["ctx"], TODAY.year)
    assert cov["totals"]["examined"] == 5 and cov["totals"]["total"] == 251
    rows = shown(page)
    assert len(rows) == len(cov["cells"]) + 1
    for row, cell in zip(rows, cov["cells"], strict=False):
        assert row[0] == cell["hamlet_label"] and row[2:] == figures(cell)
    assert rows[-1][0] == "Tổng cộng" and rows[-1][2:] == figures(cov["totals"])
    assert any(
        r[0] == coverage.NO_HAMLET_LABEL and r[1] == coverage.NO_GROUP_LABEL for r in rows
    )  # nobody left out
    assert "5/251 người đã khám" in page.totals_label.text()

    page.view_combo.setCurrentIndex(page.view_combo.findData("by_hamlet"))
    rows = shown(page)
    assert [r[2:] for r in rows[:-1]] == [figures(h) for h in cov["by_hamlet"]]
    assert all(r[1] == "Mọi nhóm" for r in rows[:-1])
    page.view_combo.setCurrentIndex(page.view_combo.findData("by_group"))
    rows = shown(page)
    assert [r[2:] for r in rows[:-1]] == [figures(g) for g in cov["by_group"]]
    assert rows[0][1].startswith("a — Người cao tuổi")


def test_drill_down_lists_the_people_behind_a_figure(qtbot, page, world):
    cov = coverage.coverage(world["ctx"], TODAY.year)
    examined = {r[0] for r in q(world["ctx"], "SELECT person_id FROM appointment WHERE status = 'examined'")}
    # the hamlet × group cell with the most people not examined
    index = max(range(len(cov["cells"])), key=lambda i: cov["cells"][i]["not_examined"])
    cell = cov["cells"][index]
    page.table.setCurrentIndex(page.model.index(index, 0))
    QTest.keyClick(page.table, Qt.Key.Key_Return)
    dialog = page.drill_dialog
    assert dialog is not None and "đang đếm" in dialog.count_label.text()  # read on the worker thread
    qtbot.waitUntil(lambda: dialog.model.ready, timeout=10_000)
    assert dialog.model.rowCount() == cell["not_examined"]
    people = [dialog.model.row_data(r) for r in range(dialog.model.rowCount())]
    assert all(p["hamlet"] == cell["hamlet"] and p["group"] == cell["group"] for p in people)
    assert not examined & {p["person_id"] for p in people}
    assert f"{format_number(cell['not_examined'])} người chưa khám" in dialog.count_label.text()
    dialog.reject()

    # the no-hamlet, no-group person is reachable too
    index = next(i for i, c in enumerate(cov["cells"]) if c["hamlet"] is None and c["group"] is None)
    dialog = page.drill_down(page.model.row(index))
    qtbot.waitUntil(lambda: dialog.model.ready, timeout=10_000)
    assert [dialog.model.row_data(r)["name"] for r in range(dialog.model.rowCount())] == ["Trần Văn Lẻ"]
    dialog.reject()
    # the total row: everyone not examined, a booked one shows their day
    dialog = page.drill_down(page.model.row(page.model.rowCount() - 1))
    qtbot.waitUntil(lambda: dialog.model.ready, timeout=10_000)
    assert dialog.model.rowCount() == cov["totals"]["not_examined"] == 246
    texts = {dialog.model.data(dialog.model.index(r, 8)) for r in range(dialog.model.rowCount())}
    assert "Chưa có lịch" in texts and any(t.startswith(TODAY.strftime("%d/%m/%Y")) for t in texts)
    dialog.reject()


def test_drill_down_reads_pages_far_down_the_list_off_the_gui_thread(qtbot, page, world, monkeypatch):
    from ui.reports import not_examined

    monkeypatch.setattr(not_examined, "PAGE_SIZE", 50)
    dialog = page.drill_down(page.model.row(page.model.rowCount() - 1))
    qtbot.waitUntil(lambda: dialog.model.ready, timeout=10_000)
    model = dialog.model
    assert model.rowCount() == 246 and model.is_loaded(0) and not model.is_loaded(245)
    assert model.data(model.index(245, 1)) == "…"  # not read yet: asked for, the window goes on
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        pass
    last = model.row_data(245)
    expected = coverage.not_examined(world["ctx"], TODAY.year, offset=245, limit=1)["rows"][0]
    assert last == expected and model.data(model.index(245, 0)) == "246"
    dialog.reject()


def test_export_writes_a_readable_xlsx(qtbot, page, world, tmp_path):
    dest = tmp_path / "bao-phu"
    page.choose_export_path = lambda _parent, suggested: dest  # only the file dialog's choice is replaced
    with qtbot.waitSignal(page.export_finished, timeout=20_000):
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    out = tmp_path / "bao-phu.xlsx"
    assert out.exists() and str(out) in page.status_label.text()
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Chưa khám"]
    summary = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert summary[-1][0] == "Tổng cộng" and summary[-1][2:5] == (251, 5, 246)
    people = list(wb["Chưa khám"].iter_rows(values_only=True))[2:]
    assert len(people) == 246 and "Trần Văn Lẻ" in {r[1] for r in people}
    assert q(world["ctx"], "SELECT count(*) FROM audit_event WHERE action = 'coverage.export'")[0][0] == 1


def test_only_report_readers_see_it(qtbot, world, session_clock):
    reception = login(world["paths"], RECEPTION, RECEPTION_PASSWORD, clock=session_clock)
    doctor = login(world["paths"], DOCTOR, DOCTOR_PASSWORD, clock=session_clock)
    try:
        widget = ReportsPage(reception)
        qtbot.addWidget(widget)
        widget.show()
        assert widget.no_read_label.isVisible() and not widget.body.isVisible()
        assert widget.model.rowCount() == 0 and widget.task is None  # nothing asked of the core
        with qtbot.waitSignal(widget.loaded, timeout=10_000):
            widget.set_session(doctor)  # a doctor reads reports
        assert widget.body.isVisible() and widget.model.rowCount() > 1
        widget.set_session(None)  # locked: the figures go
        assert widget.model.rowCount() == 0 and widget.totals_label.text() == "—"
    finally:
        reception.close()
        doctor.close()


def test_the_report_opens_in_the_print_preview_and_reads_back(qtbot, page, world, tmp_path, monkeypatch):
    from test_printing_schedule import pdftotext
    from test_printing_ui import save_from_preview

    assert page.print_button.isVisible() and page.print_button.isEnabled()
    for _ in range(2):  # twice in a row
        page.print_button.click()  # made on the worker, shown in the print preview
        assert save_from_preview(qtbot, page, tmp_path / "bao-cao.pdf", monkeypatch) >= 1
    text = " ".join(pdftotext(tmp_path / "bao-cao.pdf").split())
    cov = coverage.coverage(world["ctx"], TODAY.year)
    assert f"BÁO CÁO KẾT QUẢ KHÁM SỨC KHỎE ĐỊNH KỲ NĂM {TODAY.year}" in text
    assert f"Số liệu đến ngày {TODAY:%d/%m/%Y}" in text
    assert "Nhóm a: Người cao tuổi" in text and "Nhóm đ: Người dân khác 50 0" in text
    assert coverage.NO_HAMLET_LABEL in text and text.index("Tổ dân phố 2 ") < text.index("Tổ dân phố 10 ")
    assert "Tổng số người dân do trạm quản lý: 251; đã khám: 5 (2,0%)" in text
    for h in cov["by_hamlet"]:
        assert f"{h['hamlet_label']} {h['total']} {h['examined']}" in text  # each hamlet's row, its figures
    printed = q(world["ctx"], "SELECT count(*) FROM audit_event WHERE action = 'print.coverage'")[0][0]
    assert printed == 2
