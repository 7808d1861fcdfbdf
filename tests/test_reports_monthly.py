"""The monthly and annual reports of the city plan on a real station file with real signed exams, on frozen
clocks: the figures by hand for a small commune built to hit every rule (the plan's precedence of groups,
people who turn 60 on 31 December, people recorded after the month, people who moved, a previous year's exam,
two exams of one person, a payer named on the exam), then recounted independently from the records; the
year's end and a 29 February."""

from __future__ import annotations

from datetime import date

import pytest
from reports_support import HEAD, PASSWORD, add_staff, person, recount, sign_on, wall

from conftest import ADMIN, ADMIN_PASSWORD
from ksk_desktop.clock import FixedClock
from ksk_desktop.errors import InvalidInput, PermissionDenied
from ksk_desktop.reports import annual, monthly, settings, target_groups
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths

COMMUNE = "10507"
OTHER_COMMUNE = "10513"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.vietnam(wall(2025, 12, 30, 8, 0))


@pytest.fixture
def year_end(tmp_path, clock, monkeypatch):
    """A commune built over 2025–2027 (see the module docstring); returns (paths, clock, ids)."""
    paths = StationPaths(tmp_path / "station")
    init_station(
        paths,
        clock=clock,
        station_code="TYT-BC",
        commune_code=COMMUNE,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
        station_name="Trạm Y tế Kiểm Thử",
    )
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    add_staff(admin)
    ids = {
        "old_a": person(admin, "Nguyễn Văn Cao", date(1950, 3, 1), "a"),
        "worker62": person(admin, "Trần Văn Thợ", date(1964, 6, 1), "c", ["chronic"]),
        "pupil": person(admin, "Lê Thị Học", date(2012, 4, 4), "b", ["disabled"]),
        "a_no_criteria": person(admin, "Phạm Văn Ghi", date(1990, 1, 1), "a"),
        "d_chronic": person(admin, "Vũ Thị Mạn", date(1985, 5, 5), "đ", ["chronic"]),
        "poor": person(admin, "Đỗ Văn Nghèo", date(1975, 7, 7), None, ["poor"]),
        "sixty_on_31_12": person(admin, "Hoàng Văn Sáu", date(1966, 12, 31), None),
        "sixty_in_2027": person(admin, "Bùi Văn Bảy", date(1967, 7, 1), None),
        "soldier": person(admin, "Ngô Văn Lính", date(1995, 2, 2), "d"),
        "moved": person(admin, "Đặng Văn Đi", date(1950, 1, 1), "a", commune=OTHER_COMMUNE),
    }
    admin.close()
    sign_on(paths, clock, date(2025, 12, 31), [ids["pupil"]])
    sign_on(paths, clock, date(2026, 3, 10), [ids["old_a"]])
    sign_on(paths, clock, date(2026, 11, 30), [ids["d_chronic"]])
    sign_on(paths, clock, date(2026, 12, 1), [ids["worker62"]])
    sign_on(paths, clock, date(2026, 12, 15), [ids["poor"]], monkeypatch, payer="Quỹ BHYT")
    sign_on(paths, clock, date(2026, 12, 31), [ids["old_a"], ids["sixty_on_31_12"], ids["moved"]])
    clock.set_vietnam(wall(2026, 12, 31, 23, 30))  # still December in Hải Phòng (16:30 UTC)
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    ids["late_december"] = person(admin, "Mai Văn Muộn", date(2000, 1, 1), None)
    clock.set_vietnam(wall(2027, 1, 1, 0, 10))  # January: not on December's list
    ids["january"] = person(admin, "Lý Văn Mới", date(2000, 1, 1), None)
    admin.close()
    clock.set_vietnam(wall(2027, 1, 5, 9, 0))
    return paths, clock, ids


def _by_group(report: dict) -> dict:
    return {r["group"]: r for r in report["groups"]}


def test_december_by_hand(year_end) -> None:
    paths, clock, _ids = year_end
    head = login(paths, HEAD, PASSWORD, clock=clock)
    r = monthly.build(head, "2026-12")
    g = _by_group(r)
    assert (r["month"], r["station_code"], r["commune_code"]) == ("2026-12", "TYT-BC", COMMUNE)
    assert (r["as_of"], r["partial"], r["need_year"]) == ("2026-12-31", False, 2027)
    # a: the 76-year-old, the chronic patient recorded as đ, the poor man with no group, the man who turned
    # 60 on 31 December; not the 62-year-old worker (c), the disabled pupil (b), nor the "a" with no criterion
    assert [g[x]["managed"] for x in "abcdđ"] == [4, 1, 1, 1, 3]
    assert [g[x]["examined_month"] for x in "abcdđ"] == [3, 0, 1, 0, 0]
    assert [g[x]["examined_ytd"] for x in "abcdđ"] == [4, 0, 1, 0, 0]  # the pupil's exam was in 2025
    assert g["a"]["rate"] == 100.0 and g["b"]["rate"] == 0.0
    assert r["total"]["managed"] == 10 and r["total"]["examined_ytd"] == 5 and r["total"]["rate"] == 50.0
    assert r["total"]["examined_month"] == 4  # the old man examined twice this year counts once
    # next year: the man who turns 60 in 2027 moves from đ to a
    assert [g[x]["next_year_need"] for x in "abcdđ"] == [5, 1, 1, 1, 2]
    assert (r["not_resident"], r["reclassified"], r["no_recorded_group"]) == (1, 2, 4)
    prio = {p["key"]: p for p in r["priority"]}
    assert prio["elderly"]["managed"] == 2 and prio["elderly"]["examined_month"] == 2
    assert prio["chronic"]["managed"] == 1 and prio["chronic"]["examined_month"] == 0
    assert prio["chronic"]["examined_ytd"] == 1
    assert prio["poor_near_poor"]["examined_month"] == 1 and prio["disabled"]["managed"] == 0
    # the payer named on the exam, else the group's default
    assert g["a"]["funding_month"]["insurance"] == 1 and g["a"]["funding_month"]["local_budget"] == 2
    assert g["c"]["funding_month"]["employer"] == 1
    assert r["total"]["funding_month"]["insurance"] == 1
    assert sum(r["total"]["funding_month"].values()) == r["total"]["examined_month"]
    assert any("31/12/2027" in d for d in r["definitions"])
    head.close()


def test_november_and_recount(year_end) -> None:
    paths, clock, _ids = year_end
    head = login(paths, HEAD, PASSWORD, clock=clock)
    nov = monthly.build(head, "2026-11")
    g = _by_group(nov)
    assert g["a"]["managed"] == 3  # on 30 November the man born 31/12/1966 is still 59: in đ
    assert g["đ"]["managed"] == 3 and g["a"]["examined_month"] == 1
    for month, (first, last) in {
        "2026-11": (date(2026, 11, 1), date(2026, 11, 30)),
        "2026-12": (date(2026, 12, 1), date(2026, 12, 31)),
        "2026-03": (date(2026, 3, 1), date(2026, 3, 31)),
    }.items():
        got = monthly.build(head, month)
        want = recount(head, COMMUNE, first, last)
        for row in got["groups"]:
            w = want["groups"][row["group"]]
            assert (row["managed"], row["examined_month"], row["examined_ytd"], row["next_year_need"]) == (
                w["managed"],
                w["examined_month"],
                w["examined_ytd"],
                w["next_year_need"],
            ), (month, row["group"])
            assert row["funding_month"] == w["fm"] and row["funding_ytd"] == w["fy"]
        for p in got["priority"]:
            w = want["priority"][p["key"]]
            assert (p["managed"], p["examined_month"], p["examined_ytd"]) == (
                w["managed"],
                w["examined_month"],
                w["examined_ytd"],
            )
        assert got["total"]["managed"] == sum(w["managed"] for w in want["groups"].values())
    head.close()


def test_periods_refused_and_permissions(year_end) -> None:
    paths, clock, _ids = year_end
    head = login(paths, HEAD, PASSWORD, clock=clock)
    for bad in ("2026-13", "2026/12", "26-12", "2026-1"):
        with pytest.raises(InvalidInput):
            monthly.build(head, bad)
    with pytest.raises(InvalidInput, match="chưa đến"):
        monthly.build(head, "2027-02")
    jan = monthly.build(head, "2027-01")  # the month runs: as on today, said so
    assert jan["partial"] and jan["as_of"] == "2027-01-05"
    assert _by_group(jan)["a"]["examined_ytd"] == 0  # a new year starts from zero
    head.close()
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    with pytest.raises(PermissionDenied):
        settings.set_group(admin, 2026, "a", unit_price=150_000)
    admin.close()


def test_annual_cost_estimate(year_end) -> None:
    paths, clock, _ids = year_end
    head = login(paths, HEAD, PASSWORD, clock=clock)
    r = annual.build(head, 2026)
    assert r["total"]["cost"] is None and r["prices_missing"] == list("abcdđ")
    prices = {"a": 250_000, "b": 120_000, "c": 300_000, "d": 300_000, "đ": 200_000}
    for grp, price in prices.items():
        settings.set_group(head, 2026, grp, unit_price=price)
    settings.set_group(head, 2026, "c", funding_source="socialised")
    r = annual.build(head, 2026)
    g = _by_group(r)
    assert [g[x]["next_year_need"] for x in "abcdđ"] == [5, 1, 1, 1, 2]
    assert g["a"]["cost"] == 5 * 250_000
    assert r["total"]["cost"] == 5 * 250_000 + 120_000 + 300_000 + 300_000 + 2 * 200_000
    assert g["c"]["funding_ytd"]["socialised"] == 1  # the head's default for c now
    assert r["total"]["examined_ytd"] == 5
    with pytest.raises(InvalidInput):
        settings.set_group(head, 2026, "e", unit_price=1)
    with pytest.raises(InvalidInput):
        settings.set_group(head, 2026, "a", funding_source="budget")
    with pytest.raises(InvalidInput):
        settings.set_group(head, 2026, "a", unit_price=-5)
    head.close()


def test_twenty_ninth_of_february(tmp_path, monkeypatch) -> None:
    clock = FixedClock.vietnam(wall(2028, 1, 20, 8, 0))
    paths = StationPaths(tmp_path / "leap")
    init_station(
        paths,
        clock=clock,
        station_code="TYT-NN",
        commune_code=COMMUNE,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
    )
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    add_staff(admin)
    leapling = person(admin, "Trịnh Văn Nhuận", date(1968, 2, 29), None)  # 60 on 29/02/2028
    other = person(admin, "Tạ Văn Thường", date(1980, 3, 1), "c")
    admin.close()
    sign_on(paths, clock, date(2028, 1, 31), [other])
    sign_on(paths, clock, date(2028, 2, 29), [leapling])
    clock.set_vietnam(wall(2028, 3, 1, 7, 0))
    head = login(paths, HEAD, PASSWORD, clock=clock)
    feb = monthly.build(head, "2028-02")
    g = _by_group(feb)
    assert feb["as_of"] == "2028-02-29" and not feb["partial"]
    assert g["a"]["managed"] == 1 and g["a"]["examined_month"] == 1  # elderly on the day, examined that day
    assert g["c"]["examined_month"] == 0 and g["c"]["examined_ytd"] == 1
    jan = monthly.build(head, "2028-01")
    assert _by_group(jan)["đ"]["managed"] == 1  # 59 on 31 January
    want = recount(head, COMMUNE, date(2028, 2, 1), date(2028, 2, 29))
    assert {r["group"]: r["managed"] for r in feb["groups"]} == {
        k: v["managed"] for k, v in want["groups"].items()
    }
    head.close()


def test_the_exams_are_read_from_the_index_alone(year_end) -> None:
    """The year's signed exams and their payer come from ``ix_exam_version_report``: no exam document is read (the
    monthly report on 40,000 exams stays within its second)."""
    from sqlalchemy import text

    from ksk_desktop.reports import figures

    paths, clock, _ids = year_end
    head = login(paths, HEAD, PASSWORD, clock=clock)
    with head.read() as s:
        plan = s.execute(
            text("EXPLAIN QUERY PLAN " + figures._EXAMS), {"start": "2026-01-01", "end": "2026-12-31"}
        )
        details = " ".join(str(r[-1]) for r in plan)
    head.close()
    assert "COVERING INDEX ix_exam_version_report" in details, details


def test_plan_precedence_and_islands() -> None:
    p = target_groups.priority_of
    assert target_groups.classify("c", p(["elderly"], 65, False)) == "c"
    assert target_groups.classify("b", p(["disabled"], 10, False)) == "b"
    assert target_groups.classify("d", p([], 40, True)) == "d"
    assert target_groups.classify(None, p([], 40, True)) == "a"  # lives on an island
    assert target_groups.classify("a", p([], 40, False)) == "đ"
    assert target_groups.classify("đ", p(["near_poor"], 40, False)) == "a"
    assert target_groups.island_commune("11914") and not target_groups.island_commune(COMMUNE)
    assert target_groups.group_on(date(2026, 12, 31), None, [], date(1966, 12, 31), None, COMMUNE) == "a"
    assert target_groups.group_on(date(2026, 12, 30), None, [], date(1966, 12, 31), None, COMMUNE) == "đ"
