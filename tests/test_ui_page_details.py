"""Details seen on the pages (issue 13 §Smaller things): group names whole in Báo cáo, the Điểm khám column whole
in Lịch khám, no empty "Cần kiểm tra lại trên thẻ" box for a clean card, and the hamlet taken from the card's
address when it names one the station knows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QFrame, QTableView

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.people.registration import hamlet_in_address
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ui.people.registration_dialog import ScanResultDialog
from ui.reports.page import ReportsPage
from ui.schedule.page import SchedulePage

LONG_SITE = "Điểm khám lưu động Nhà văn hóa thôn Đông Hải, xã Việt Khê"
CLEAN = (
    "031303999902||Trần Thị Mẫu|02032003|Nữ|Số 4, Thôn Đông Hải, Xã Việt Khê, Thành phố Hải Phòng|20042021"
)
ELSEWHERE = "031303999903||Lê Thị Xa|02032001|Nữ|Thôn Lạ, Xã Khác, Tỉnh Khác|20042021"


@pytest.fixture
def session_clock():
    return frozen_clock()


@pytest.fixture
def world(admin_session):
    ctx = admin_session
    rows = generate_people(120, seed=4, commune_code=COMMUNE, reference_date=FROZEN_DAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    for hamlet in ("Thôn Đông", "Thôn Đông Hải", "Thôn 1"):
        persons.create_person(
            ctx, persons.PersonInput(full_name="Ngô Văn Ở", birth_year=1970, sex="M", hamlet=hamlet)
        )
    camp = campaigns.create_campaign(ctx, name="KSK", year=FROZEN_DAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name=LONG_SITE, capacity_per_hour=20)
    days.add_day(ctx, site_id=site.id, day=FROZEN_DAY + timedelta(days=1), hours="07:30-09:30")
    planner.plan(ctx, camp.id, FROZEN_DAY, FROZEN_DAY + timedelta(days=1), population=planner.Population())
    return ctx


def column_texts(table: QTableView, column: int) -> list[str]:
    model = table.model()
    return [model.data(model.index(r, column)) or "" for r in range(model.rowCount())]


def whole(table: QTableView, column: int) -> list[str]:
    """The texts of *column* that do not fit its width (with the 3 px text margin each side that the view draws)."""
    metrics, width = table.fontMetrics(), table.columnWidth(column)
    return [t for t in column_texts(table, column) if metrics.horizontalAdvance(t) + 6 > width]


def test_group_names_are_not_cut_in_the_report(qtbot, world):
    page = ReportsPage(None)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_session(world)
    page.view_combo.setCurrentIndex(page.view_combo.findData("by_group"))
    qtbot.waitUntil(lambda: any("—" in t for t in column_texts(page.table, 1)), timeout=10_000)
    texts = column_texts(page.table, 1)
    assert max(page.table.fontMetrics().horizontalAdvance(t) for t in texts) > 200  # longer than it once was
    assert whole(page.table, 1) == []


def test_the_site_column_is_not_cut_in_the_schedule(qtbot, world):
    page = SchedulePage(world)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        page.show()
    qtbot.waitUntil(lambda: page.days_model.rowCount() > 0, timeout=10_000)
    assert column_texts(page.days_table, 1) == [LONG_SITE]
    assert whole(page.days_table, 1) == []
    assert whole(page.sites_table, 0) == []


def open_scan(qtbot, ctx, payload: str) -> ScanResultDialog:
    dialog = ScanResultDialog(ctx, payload)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.state != "loading", timeout=10_000)
    return dialog


def test_a_clean_card_has_no_check_box_and_its_hamlet_is_chosen(qtbot, world):
    dialog = open_scan(qtbot, world, CLEAN)
    assert dialog.state == "new" and dialog.registration.warnings == []
    assert dialog.findChild(QFrame, "scanWarnings") is None  # no empty box
    assert dialog.hamlet_combo.currentText() == "Thôn Đông Hải"  # not "Thôn Đông": the part named whole
    dialog.reject()
    other = open_scan(qtbot, world, ELSEWHERE)
    assert (
        other.state == "new" and other.hamlet_combo.currentText() == ""
    )  # a hamlet the station does not know
    other.reject()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Số 4, Thôn Đông Hải, Xã Việt Khê", "Thôn Đông Hải"),
        ("Số 4 THÔN ĐÔNG, Xã Việt Khê", "Thôn Đông"),
        ("Thon 1, Xa Viet Khe", "Thôn 1"),
        ("Thôn 10, Xã Việt Khê", None),  # not Thôn 1
        ("Phường Hồng Bàng, Thành phố Hải Phòng", None),
        ("", None),
    ],
)
def test_the_hamlet_a_card_address_names(address, expected):
    assert hamlet_in_address(address, ["Thôn Đông", "Thôn Đông Hải", "Thôn 1"]) == expected
