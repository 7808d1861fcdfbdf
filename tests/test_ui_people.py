"""The "Người dân" page on a real encrypted station: the lazy list (counted and read page by page on the worker
thread), search as you type, filters, export, permissions and locking."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.text import fold, sort_key
from ui.main_window import MainWindow
from ui.people import people_model
from ui.people.page import PeoplePage
from ui.people.people_model import NAME, PAGE_SIZE, PERSON_ID_ROLE, PeopleModel

ADMIN, PASSWORD = "admin", "Quan-tri-2026"
N = 3000
CLICK = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def people_data() -> list[dict]:
    return list(generate_people(N, seed=1, commune_code="10507", reference_date=date(2026, 1, 1)))


@pytest.fixture(scope="module")
def big_station(tmp_path_factory, people_data) -> StationPaths:
    """A station with 3,000 synthetic people (shared by the tests that only read)."""
    paths = StationPaths(tmp_path_factory.mktemp("people") / "station")
    init_station(
        paths,
        station_code="TYT-TEST",
        commune_code="10507",
        admin_username=ADMIN,
        admin_password=PASSWORD,
        admin_full_name="Quản Trị",
    )
    ctx = login(paths, ADMIN, PASSWORD)
    try:
        assert persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in people_data]) == N
    finally:
        ctx.close()
    return paths


@pytest.fixture
def big_session(big_station):
    ctx = login(big_station, ADMIN, PASSWORD)
    yield ctx
    if not ctx.closed:
        ctx.close()


@pytest.fixture
def page(qtbot, big_session):
    widget = PeoplePage(big_session)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    with qtbot.waitSignal(widget.filter_applied, timeout=10_000):  # shown: the list is counted
        widget.show()
    qtbot.waitExposed(widget)
    wait_loaded(qtbot, widget)
    return widget


def wait_loaded(qtbot, page: PeoplePage) -> None:
    """Until the count, the hamlets and the rows on screen have come back from the worker thread."""
    qtbot.waitUntil(lambda: page.hamlets_task is not None and page.hamlets_task.done, timeout=10_000)
    qtbot.waitUntil(lambda: not page.model.loading() and rows_shown(page), timeout=10_000)


def rows_shown(page: PeoplePage) -> bool:
    """Every row on screen has its data (none shows "…")."""
    if page.model.rowCount() == 0:
        return True
    return all(page.model.index(r, NAME).data() != "…" for r in visible_rows(page))


def all_rows(qtbot, model: PeopleModel) -> list[dict]:
    """Every row, its page read in the background when first asked for (as scrolling there would)."""
    rows = []
    for r in range(model.rowCount()):
        qtbot.waitUntil(lambda r=r: model.row_data(r) is not None, timeout=10_000)
        rows.append(model.row_data(r))
    return rows


def filtered(qtbot, page: PeoplePage, change) -> None:
    """Make a change to the filter and wait until the list shows it."""
    with qtbot.waitSignal(page.filter_applied, timeout=10_000):
        change()
    wait_loaded(qtbot, page)


def visible_rows(page: PeoplePage) -> range:
    view = page.table
    top = view.rowAt(0)
    bottom = view.rowAt(view.viewport().height() - 1)
    return range(top, (bottom if bottom >= 0 else page.model.rowCount() - 1) + 1)


def test_people_page_is_the_second_page(qtbot, big_station, big_session):
    window = MainWindow(big_session, big_station, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    page = window.pages[1]
    assert isinstance(page, PeoplePage)
    assert page is window.people_page
    window.show()
    qtbot.waitUntil(lambda: window.today_page.facts is not None, timeout=10_000)
    assert page.loads == 0 and page.model.rowCount() == 0  # not shown yet: not read either
    with qtbot.waitSignal(page.filter_applied, timeout=10_000):
        window.show_page("Người dân")
    assert page.loads == 1 and page.model.rowCount() == N


def test_list_is_lazy_and_scrolls_to_the_last_person(qtbot, page, people_data):
    model = page.model
    assert model.rowCount() == N
    assert page.count_label.text() == "3.000 người"
    # Only what is on screen was read: the first page of 200.
    assert model.cached_pages() == [0]
    assert model.cached_row_count() == PAGE_SIZE
    names_in_order = sorted((p["full_name"] for p in people_data), key=sort_key)
    shown = visible_rows(page)
    assert shown.start == 0 and len(shown) > 5
    assert [model.index(r, NAME).data() for r in shown] == names_in_order[: len(shown)]

    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: visible_rows(page).stop == N and rows_shown(page), timeout=10_000)
    shown = visible_rows(page)
    assert shown.stop == N  # the last row is on screen
    assert page.table.indexAt(page.table.viewport().rect().bottomLeft()).row() in (N - 1, -1)
    assert model.index(N - 1, NAME).data() == names_in_order[-1]
    assert [model.index(r, NAME).data() for r in shown] == names_in_order[shown.start :]
    # Jumping to the end read the last page only, not the 14 in between.
    assert sorted(model.cached_pages()) == sorted({0, *(r // PAGE_SIZE for r in shown)})
    assert model.fetches <= 3


def test_scrolling_through_everything_keeps_memory_flat(qtbot, page, monkeypatch):
    monkeypatch.setattr(people_model, "MAX_PAGES", 4)
    model = page.model
    for row in range(0, N, 50):
        page.table.scrollTo(model.index(row, 0))
        qtbot.waitUntil(lambda: rows_shown(page), timeout=10_000)
    assert model.fetches >= N // PAGE_SIZE  # every page was read once on the way down…
    assert len(model.cached_pages()) <= 4  # …but only the last few are kept
    assert model.cached_row_count() <= 4 * PAGE_SIZE


def test_search_as_you_type_narrows_the_list(qtbot, page, people_data):
    applied = []
    page.filter_applied.connect(lambda: applied.append(page.model.list_filter.query))
    qtbot.keyClicks(page.search_edit, "duc nguyen")
    assert applied == []  # nothing runs while typing…
    qtbot.waitUntil(lambda: bool(applied), timeout=3_000)
    assert not page.search_timer.isActive()  # nothing else scheduled: the search runs once, after the pause
    assert applied == ["duc nguyen"]
    rows = all_rows(qtbot, page.model)
    expected = {
        p["personal_id"] for p in people_data if {"duc", "nguyen"} <= set(fold(p["full_name"]).split())
    }
    assert len(expected) > 10
    assert expected <= {r["personal_id"] for r in rows}
    assert 0 < len(rows) < N
    for r in rows:  # every match has words starting with both typed words, in any order
        words = fold(r["name"]).split()
        assert any(w.startswith("duc") for w in words) and any(w.startswith("nguyen") for w in words)
    assert rows[0]["name"].startswith("Nguyễn") and "Đức" in rows[0]["name"]
    assert page.count_label.text() == f"{len(rows)} người"

    page.search_edit.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == N, timeout=3_000)


def test_search_by_personal_id_tail(qtbot, page, people_data):
    target = people_data[123]
    page.search_edit.setText(target["personal_id"][-6:])
    filtered(qtbot, page, page.apply_filter)
    ids = [r["personal_id"] for r in all_rows(qtbot, page.model)]
    assert target["personal_id"] in ids and len(ids) < 5


def test_group_flag_hamlet_and_year_filters(qtbot, page, people_data):
    by_group = Counter(p["target_group"] for p in people_data)
    filtered(qtbot, page, lambda: qtbot.mouseClick(page.group_buttons["b"], CLICK))
    rows = all_rows(qtbot, page.model)
    assert len(rows) == by_group["b"] and {tuple(r["groups"]) for r in rows} == {("b",)}
    assert page.count_label.text() == f"{by_group['b']} người"

    filtered(qtbot, page, lambda: qtbot.mouseClick(page.group_buttons["đ"], CLICK))
    assert page.model.rowCount() == by_group["b"] + by_group["đ"]
    for g in ("b", "đ"):
        filtered(qtbot, page, lambda g=g: page.group_buttons[g].setChecked(False))

    filtered(qtbot, page, lambda: page.flag_combo.setCurrentIndex(page.flag_combo.findData("elderly")))
    elderly = [p for p in people_data if "elderly" in p["flags"]]
    assert page.model.rowCount() == len(elderly) > 0
    assert all("Người cao tuổi" in page.model.index(r, people_model.FLAGS).data() for r in range(20))
    filtered(qtbot, page, lambda: page.flag_combo.setCurrentIndex(0))

    hamlets = Counter(p["hamlet"] for p in people_data)
    assert [page.hamlet_combo.itemData(i) for i in range(1, page.hamlet_combo.count())] == sorted(
        hamlets, key=sort_key
    )  # Vietnamese order: Tổ dân phố 2 before 10
    hamlet, n = hamlets.most_common(1)[0]
    filtered(qtbot, page, lambda: page.hamlet_combo.setCurrentIndex(page.hamlet_combo.findData(hamlet)))
    assert page.model.rowCount() == n
    assert {r["hamlet"] for r in all_rows(qtbot, page.model)} == {hamlet}

    with qtbot.waitSignal(page.filter_applied, timeout=3_000):
        qtbot.keyClicks(page.year_edit, "1960")
    expected = [p for p in people_data if p["hamlet"] == hamlet and p["birth_year"] == 1960]
    assert page.model.rowCount() == len(expected)

    filtered(qtbot, page, lambda: qtbot.mouseClick(page.clear_filters_button, CLICK))
    assert page.model.rowCount() == N and page.year_edit.text() == ""


def test_dates_and_sex_are_shown_the_vietnamese_way(qtbot, page, people_data):
    row = all_rows(qtbot, page.model)[0]
    source = next(p for p in people_data if p["personal_id"] == row["personal_id"])
    birth = page.model.index(0, people_model.BIRTH).data()
    assert birth == source["birth_date"].strftime("%d/%m/%Y")
    assert page.model.index(0, people_model.SEX).data() == {"M": "Nam", "F": "Nữ"}[source["sex"]]


def test_export_writes_the_filtered_list(qtbot, page, people_data, tmp_path):
    dest = tmp_path / "nhom-a"
    page.choose_export_path = lambda _parent, suggested: dest
    assert page.suggested_export_path().suffix == ".xlsx"
    filtered(qtbot, page, lambda: page.group_buttons["a"].setChecked(True))
    expected = sum(1 for p in people_data if p["target_group"] == "a")
    with qtbot.waitSignal(page.export_finished, timeout=30_000):
        qtbot.mouseClick(page.export_button, CLICK)
    written = dest.with_name("nhom-a.xlsx")
    assert page.export_count == expected
    assert f"Đã xuất {expected} người" in page.status_label.text()
    assert not page.export_progress.isVisible() and page.open_export_button.isVisible()
    ws = openpyxl.load_workbook(written, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:2] == ("STT", "Họ và tên")
    data = [r for r in rows[2:] if r[0] is not None]
    assert len(data) == expected
    group_col = rows[1].index("Nhóm đối tượng")
    assert {r[group_col] for r in data} == {"a"}
    opened = []
    page.open_url = opened.append
    qtbot.mouseClick(page.open_export_button, CLICK)
    assert Path(opened[0].toLocalFile()) == written


def test_enter_and_double_click_open_the_card(qtbot, page):
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(2, 0))
    expected_id = page.model.index(2, 0).data(PERSON_ID_ROLE)
    with qtbot.waitSignal(page.card_opened) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    card = opened.args[0]
    qtbot.waitUntil(lambda: card.record is not None, timeout=10_000)
    assert card.record.id == expected_id
    card.done(0)

    rect = page.table.visualRect(page.model.index(5, 1))
    with qtbot.waitSignal(page.card_opened) as opened:  # a real double click: press, release, press again
        qtbot.mouseClick(page.table.viewport(), CLICK, pos=rect.center())
        qtbot.mouseDClick(page.table.viewport(), CLICK, pos=rect.center())
    card = opened.args[0]
    qtbot.waitUntil(lambda: card.record is not None, timeout=10_000)
    assert card.record.id == page.model.index(5, 0).data(PERSON_ID_ROLE)
    card.done(0)


def test_typing_enter_in_the_search_box_goes_to_the_list(qtbot, page):
    qtbot.keyClicks(page.search_edit, "nguyen")
    with qtbot.waitSignal(page.filter_applied):
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert page.table.currentIndex().row() == 0
    assert page.table.hasFocus() or QApplication.focusWidget() is page.table


def test_reception_sees_no_merge_button(qtbot, big_station, big_session):
    users.add_user(big_session, "letan", "reception", "Le-tan-2026", "Trần Thị Lan")
    reception = login(big_station, "letan", "Le-tan-2026")
    try:
        widget = PeoplePage(reception)
        qtbot.addWidget(widget)
        with qtbot.waitSignal(widget.filter_applied, timeout=10_000):
            widget.show()
        assert widget.duplicates_button.isHidden()
        assert widget.open_duplicates() is None
        assert not widget.add_button.isHidden() and not widget.import_button.isHidden()
        assert widget.model.rowCount() == N
        wait_loaded(qtbot, widget)
    finally:
        reception.close()
    admin_page = PeoplePage(big_session)
    qtbot.addWidget(admin_page)
    admin_page.show()
    assert not admin_page.duplicates_button.isHidden() and admin_page.duplicates_button.isEnabled()


def test_locking_forgets_the_list(qtbot, big_station, big_session):
    window = MainWindow(big_session, big_station, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    window.show_page("Người dân")
    page = window.people_page
    page.search_edit.setText("nguyen")
    filtered(qtbot, page, page.apply_filter)
    assert page.model.cached_row_count() > 0
    window.lock()
    assert page.model.rowCount() == 0 and page.model.cached_row_count() == 0
    assert page.search_edit.text() == "" and page.count_label.text() == "—"
    assert page.session is None
    window.unlock_dialog.done(0)


def test_exam_status_filter_is_offered_and_applied(qtbot, page):
    combo = page.status_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Tất cả",
        "Đã khám",
        "Đã hẹn, chưa khám",
        "Chưa khám, chưa hẹn",
    ]
    combo.setCurrentIndex(combo.findData("examined"))
    qtbot.waitUntil(lambda: page.model.list_filter.exam_status == "examined", timeout=3000)
    assert page.model.rowCount() == 0  # nobody has been examined on a fresh list
    combo.setCurrentIndex(combo.findData("not_yet"))
    qtbot.waitUntil(lambda: page.model.rowCount() == N, timeout=3000)
