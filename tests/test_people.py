"""The person record: list paging and filters, edits, age suggestions, consent, duplicates and merging, export."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD, frozen_clock, run_ksk
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.errors import DuplicatePerson, InvalidInput, PermissionDenied
from ksk_desktop.people import consent, duplicates, people_list, persons
from ksk_desktop.people.people_list import ListFilter
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ksk_desktop.text import sort_key

P = persons.PersonInput


@pytest.fixture
def session_clock():
    return frozen_clock()


@pytest.fixture
def town(admin_session):
    people = [
        P.from_dict(p)
        for p in generate_people(1500, seed=3, commune_code="10507", reference_date=date(2026, 1, 1))
    ]
    persons.create_many(admin_session, people)
    return admin_session


def test_pages_follow_vietnamese_list_order_without_gaps(town):
    flt = ListFilter()
    total = people_list.count(town, flt)
    assert total == 1500
    seen = []
    for offset in range(0, total, 400):
        seen += people_list.page(town, flt, offset, 400)
    assert len(seen) == 1500 and len({r["id"] for r in seen}) == 1500
    keys = [sort_key(r["name"]) for r in seen]
    assert keys == sorted(keys)
    assert people_list.page(town, flt, 1499, 50)[0]["id"] == seen[-1]["id"]


def test_filters_combine(town):
    elderly = ListFilter(flags={"elderly"})
    rows = people_list.page(town, elderly, 0, 2000)
    assert rows and all("elderly" in r["flags"] for r in rows)
    assert people_list.count(town, elderly) == len(rows)
    hamlet, n = people_list.hamlets(town)[0]
    in_hamlet = ListFilter(hamlet=hamlet, groups={"a", "b"})
    rows = people_list.page(town, in_hamlet, 0, 2000)
    assert all(r["hamlet"] == hamlet and r["groups"][0] in ("a", "b") for r in rows)
    assert 0 < len(rows) <= n
    with pytest.raises(InvalidInput):
        people_list.count(town, ListFilter(groups={"x"}))


def test_query_keeps_search_ranking_within_filters(town):
    target = people_list.page(town, ListFilter(), 700, 1)[0]
    words = target["name"].split()
    flt = ListFilter(query=f"{words[-1]} {words[0]}", birth_year=target["birth_year"])
    rows = people_list.page(town, flt, 0, 50)
    assert target["id"] in [r["id"] for r in rows]
    assert people_list.count(town, flt) == len(people_list.page(town, flt, 0, 1000))


def test_edit_is_audited_versioned_and_queued(town):
    pid = people_list.page(town, ListFilter(), 0, 1)[0]["id"]
    before = persons.get_person(town, pid)
    after = persons.update_person(
        town,
        pid,
        {"phone": "0912 000 222", "hamlet": "Thôn Mới"},
        flags=["chronic"],
        expected_version=before.version,
    )
    assert after.phone == "0912000222" and after.flags == ["chronic"] and after.version == before.version + 1
    with town.read() as s:
        ev = json.loads(
            s.execute(
                text("SELECT details FROM audit_event WHERE action='person.update' ORDER BY seq DESC")
            ).scalar()
        )
        queued = s.execute(
            text("SELECT count(*) FROM outbox WHERE entity_id = :i AND entity_version = :v"),
            {"i": pid, "v": after.version},
        ).scalar()
    assert ev["old"]["phone"] == before.phone and ev["new"]["phone"] == "0912000222"
    assert queued == 1
    with pytest.raises(InvalidInput):  # someone saved in between
        persons.update_person(town, pid, {"phone": "0912000333"}, expected_version=before.version)
    other = people_list.page(town, ListFilter(), 1, 1)[0]
    if other["personal_id"] and after.personal_id != other["personal_id"]:
        with pytest.raises(DuplicatePerson):
            persons.update_person(town, pid, {"personal_id": other["personal_id"]})


def test_age_suggestions():
    today = date(2026, 6, 1)
    assert persons.suggest_groups(date(1960, 5, 31), None, today)["flags"] == ["elderly"]
    assert persons.suggest_groups(date(1966, 6, 2), None, today)["target_group"] is None  # 59 until tomorrow
    assert persons.suggest_groups(None, 2022, today)["target_group"] == "b"
    assert "học sinh" in persons.suggest_groups(date(2012, 1, 1), None, today)["reason"]


def test_consent_record_and_withdraw(town):
    pid = people_list.page(town, ListFilter(), 5, 1)[0]["id"]
    c = consent.record(town, pid, "exam")
    assert consent.record(town, pid, "exam").id == c.id  # recording twice changes nothing
    consent.record(town, pid, "ehr_share", given_by="guardian")
    assert consent.has_consent(town, pid, "exam")
    withdrawn = consent.withdraw(town, c.id)
    assert not withdrawn.active and withdrawn.withdrawn_by == ADMIN
    assert not consent.has_consent(town, pid, "exam") and consent.has_consent(town, pid, "ehr_share")
    assert len(consent.of_person(town, pid)) == 2  # withdrawal is recorded, nothing erased
    with pytest.raises(InvalidInput):
        consent.withdraw(town, c.id)


def test_duplicates_found_and_merged_with_history(town):
    a = persons.create_person(
        town, P("Nguyễn Thị Trùng", birth_date=date(1970, 1, 2), hamlet="Thôn 1", personal_id="031170999001")
    )
    b = persons.create_person(
        town, P("NGUYỄN THỊ TRÙNG", birth_date=date(1970, 1, 2), phone="0912999001", flags=["chronic"])
    )
    consent.record(town, b.id, "exam")
    groups = duplicates.find(town)
    assert any({p["id"] for p in g["people"]} == {a.id, b.id} for g in groups)
    result = duplicates.merge(town, a.id, b.id)
    kept = persons.get_person(town, a.id)
    assert kept.phone == "0912999001" and kept.flags == ["chronic"] and kept.hamlet == "Thôn 1"
    assert result["moved"] == {"consent.person_id": 1}
    assert consent.has_consent(town, a.id, "exam")
    assert duplicates.resolve(town, b.id) == a.id
    assert duplicates.snapshot_of(town, b.id)["name"] == "NGUYỄN THỊ TRÙNG"
    assert not any(b.id in {p["id"] for p in g["people"]} for g in duplicates.find(town))
    c = persons.create_person(
        town, P("Nguyễn Thị Trùng", birth_date=date(1970, 1, 2), personal_id="031170999002")
    )
    with pytest.raises(InvalidInput):  # two different personal IDs: two people
        duplicates.merge(town, a.id, c.id)


def test_reception_cannot_merge(town):
    users.add_user(town, "letan", "reception", "Le-tan-2026")
    ctx = login(town.paths, "letan", "Le-tan-2026", clock=town.clock)
    try:
        with pytest.raises(PermissionDenied):
            duplicates.merge(ctx, "x", "y")
    finally:
        ctx.close()


def test_export_writes_the_filtered_list(town, tmp_path):
    flt = ListFilter(groups={"a"})
    n = people_list.export_xlsx(town, flt, tmp_path / "ds.xlsx")
    assert n == people_list.count(town, flt)
    ws = openpyxl.load_workbook(tmp_path / "ds.xlsx").active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == n and rows[0][0] == 1
    assert all(r[10] == "a" for r in rows)


def test_cli_list_edit_consent_merge(station, tmp_path):
    paths, _ = station

    def ksk(*args):
        out = run_ksk("--user", ADMIN, *args, "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    a = ksk(
        "person", "add", "--name", "Lê Văn Một", "--dob", "01/01/1950", "--hamlet", "Thôn 1", "--group", "a"
    )
    b = ksk("person", "add", "--name", "Lê Văn Một", "--dob", "01/01/1950", "--phone", "0912111222")
    listing = ksk("person", "list", "--group", "a")
    assert listing["total"] == 1 and listing["rows"][0]["id"] == a["id"]
    edited = ksk("person", "edit", b["id"], "--hamlet", "Thôn 2", "--flag", "elderly")
    assert edited["hamlet"] == "Thôn 2" and edited["flags"] == ["elderly"]
    c = ksk("consent", "add", a["id"], "--kind", "ehr_share")
    assert c["active"] is True and ksk("consent", "list", a["id"])[0]["kind"] == "ehr_share"
    assert len(ksk("person", "duplicates")) == 1
    merged = ksk("person", "merge", a["id"], b["id"])
    assert merged["kept"]["phone"] == "0912111222"
    exported = ksk("person", "export", str(tmp_path / "x.xlsx"))
    assert exported["count"] == 1


def test_exam_status_this_year_filter(town):
    from datetime import timedelta

    from ksk_desktop.scheduling import board, campaigns, checkin, days, planner, sites

    tomorrow = town.clock.today() + timedelta(days=1)
    camp = campaigns.create_campaign(town, name="Khám năm nay", year=tomorrow.year, groups=["a"])
    site = sites.add_site(town, name="Trạm y tế", capacity_per_hour=40)
    days.add_day(town, site_id=site.id, day=tomorrow)
    plan = planner.plan(town, camp.id, tomorrow, tomorrow, population=planner.Population(groups={"a"}))
    assert plan.placed
    total = people_list.count(town, ListFilter())
    scheduled = people_list.count(town, ListFilter(exam_status="scheduled", exam_year=tomorrow.year))
    not_yet = people_list.count(town, ListFilter(exam_status="not_yet", exam_year=tomorrow.year))
    assert scheduled == len(plan.placed) and scheduled + not_yet == total
    first = plan.placed[0].appointment_id
    checkin.checkin_by_appointment(town, first, today=tomorrow)
    board.start_exam(town, first)
    users.add_user(town, "bacsi", "doctor", "Bac-si-2026")
    doctor = login(town.paths, "bacsi", "Bac-si-2026", clock=town.clock)
    try:
        board.mark_examined(doctor, first)
    finally:
        doctor.close()
    examined = ListFilter(exam_status="examined", exam_year=tomorrow.year)
    assert people_list.count(town, examined) == 1
    assert people_list.page(town, examined, 0, 5)[0]["id"] == plan.placed[0].person_id
    assert (
        people_list.count(town, ListFilter(exam_status="scheduled", exam_year=tomorrow.year)) == scheduled - 1
    )
    with pytest.raises(InvalidInput):
        people_list.count(town, ListFilter(exam_status="maybe"))


def test_new_people_belong_to_the_station_commune_on_every_path(station, tmp_path):
    """One rule in the core (persons.insert_rows): a new person without a commune gets the station's, whichever
    way they were added; a commune given is kept."""
    from test_import import GOOD, xlsx

    from conftest import COMMUNE
    from ksk_desktop.importer import import_people
    from ksk_desktop.people.registration import register

    paths, _ = station
    out = run_ksk(
        "--user",
        ADMIN,
        "person",
        "add",
        "--name",
        "Lê Văn Hai",
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    by_cli = json.loads(out.stdout)
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        assert persons.default_commune(ctx) == COMMUNE
        assert by_cli["commune_code"] == COMMUNE
        one = persons.create_person(ctx, P(full_name="Lê Văn Một", birth_year=1970))
        there = persons.create_person(ctx, P(full_name="Lê Văn Ba", birth_year=1971, commune_code="11680"))
        assert (one.commune_code, there.commune_code) == (COMMUNE, "11680")
        card = "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Hải Phòng|10052021"
        registered = register(ctx, card, accept=True)
        assert persons.get_person(ctx, registered.person_id).commune_code == COMMUNE
        imported = import_people(ctx, xlsx(tmp_path / "ds.xlsx", GOOD))
        assert imported.created == len(GOOD) - 1  # the card's holder is on the list already
        with ctx.read() as s:
            communes = dict(s.execute(text("SELECT commune_code, count(*) FROM person GROUP BY 1")).all())
        assert communes == {COMMUNE: 3 + imported.created, "11680": 1}
    finally:
        ctx.close()


@pytest.mark.parametrize(
    "text, code",
    [("Nam", "M"), ("NAM", "M"), ("m", "M"), ("trai", "M"), ("Nữ", "F"), ("NỮ", "F"), ("nu", "F"), ("F", "F")]
    + [("gái", "F"), ("female", "F"), ("không rõ", None), ("", None)],
)
def test_one_reading_of_sex_for_every_face(text, code):
    assert persons.sex_code(text) == code
    if code:
        assert persons.sex_label(code) == {"M": "Nam", "F": "Nữ"}[code]


def test_sex_label_of_nothing_is_empty():
    assert persons.sex_label(None) == persons.sex_label("") == persons.sex_label("X") == ""


def test_cli_reads_and_shows_sex_with_the_core(station):
    paths, _ = station

    def ksk(*args):
        return run_ksk("--user", ADMIN, *args, data_dir=paths.root, password=ADMIN_PASSWORD)

    out = ksk("person", "add", "--name", "Trần Thị Bốn", "--birth-year", "1960", "--sex", "NỮ", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sex"] == "F"
    found = ksk("person", "search", "tran thi bon")
    assert found.returncode == 0 and " Nữ " in found.stdout
    bad = ksk("person", "add", "--name", "Trần Thị Năm", "--sex", "khác")
    assert bad.returncode == 2 and "Giới tính phải là Nam hoặc Nữ" in bad.stderr
