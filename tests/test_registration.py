"""Identify or register by CCCD QR: match order, differences confirmed field by field, never a duplicate."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.cccd import InvalidCccdPayload
from ksk_desktop.people import persons
from ksk_desktop.people.registration import register

CARD = "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng|10052021"
MOVED = CARD.replace("Số 0 Phố Kiểm Thử, Phường Hồng Bàng", "Thôn Mới, Xã Kiến Thụy")
SAMPLES = Path(__file__).parent / "data" / "cccd-samples.jsonl"


def people(ctx) -> int:
    return persons.count_people(ctx)


def test_new_card_registers_then_is_found(admin_session):
    first = register(admin_session, CARD)
    assert first.status == "created" and first.person_id
    p = persons.get_person(admin_session, first.person_id)
    assert (p.name, p.dob, p.sex, p.old_id) == ("Nguyễn Văn Thử", "1985-04-15", "M", "999888701")
    again = register(admin_session, "\ufeff" + CARD + "\r\n")  # scanner artefacts around the same card
    assert (
        again.status == "existing"
        and again.person_id == first.person_id
        and again.matched_by == "personal_id"
    )
    assert people(admin_session) == 1


def test_differences_need_confirmation_and_are_taken_field_by_field(admin_session):
    pid = register(admin_session, CARD).person_id
    result = register(admin_session, MOVED)
    assert result.status == "needs_confirmation" and set(result.differences) == {"address"}
    assert "Kiểm Thử" in persons.get_person(admin_session, pid).permanent_address  # nothing changed yet
    taken = register(admin_session, MOVED, accept_fields=["address"])
    assert taken.status == "existing" and taken.applied == ["address"]
    assert "Kiến Thụy" in persons.get_person(admin_session, pid).permanent_address
    with admin_session.read() as s:
        ev = json.loads(
            s.execute(
                text("SELECT details FROM audit_event WHERE action='person.update' ORDER BY seq DESC")
            ).scalar()
        )
    assert ev["source"] == "cccd" and "permanent_address" in ev["new"]


def test_match_by_old_id_and_by_name_and_birth_date(admin_session):
    a = persons.create_person(
        admin_session, persons.PersonInput("Nguyễn Văn Thử", old_id="999888701", birth_year=1985)
    )
    result = register(admin_session, CARD, accept=True)
    assert result.matched_by == "old_id" and result.person_id == a.id
    assert persons.get_person(admin_session, a.id).personal_id == "031085999901"  # the ID is filled in
    b = persons.create_person(
        admin_session, persons.PersonInput("Trần Thị Mẫu", birth_date=date(2003, 3, 2), hamlet="Thôn 2")
    )
    card2 = (
        "031303999902||Trần Thị Mẫu|02032003|Nữ|Thôn Thử Nghiệm, Xã Việt Khê, Thành phố Hải Phòng|20042021"
    )
    result = register(admin_session, card2, accept=True)
    assert result.matched_by == "name_dob" and result.person_id == b.id
    assert people(admin_session) == 2


def test_unreadable_scan_stores_nothing(admin_session):
    with admin_session.read() as s:
        before = s.execute(text("SELECT count(*) FROM audit_event")).scalar()
    for bad in ("http://example.invalid/abc", "031085999901|999888701|Nguyễn", "|||||||", "x" * 100_000):
        with pytest.raises(InvalidCccdPayload):
            register(admin_session, bad)
    with admin_session.read() as s:
        assert s.execute(text("SELECT count(*) FROM cccd_scan")).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM audit_event")).scalar() == before
    assert people(admin_session) == 0


def test_warnings_wait_for_a_person(admin_session):
    # century digit says a woman born in the 2000s, the card says a man born in 1985
    odd = CARD.replace("031085999901", "031385999901")
    result = register(admin_session, odd)
    assert result.status == "needs_confirmation" and result.warnings and result.person_id is None
    assert people(admin_session) == 0
    assert register(admin_session, odd, accept=True).status == "created"


def test_every_sample_registers_once(admin_session):
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").split("\n") if line.strip()]
    ok = [s for s in samples if s["expect"] == "ok"]
    ids = set()
    for s in ok:
        r = register(admin_session, s["payload"], accept=True)
        assert r.status in ("created", "existing")
        ids.add(s["id"])
    for s in ok:
        assert register(admin_session, s["payload"], accept=True).status == "existing"
    with admin_session.read() as x:
        dup = x.execute(text("SELECT personal_id FROM person GROUP BY personal_id HAVING count(*) > 1")).all()
    assert dup == [] and people(admin_session) == len(ids)


def test_raw_payload_only_in_the_encrypted_database(admin_session):
    register(admin_session, CARD)
    with admin_session.read() as s:
        assert s.execute(text("SELECT raw FROM cccd_scan")).scalar() == CARD
    for f in admin_session.paths.root.rglob("*"):
        if f.is_file():
            assert b"999888701" not in f.read_bytes(), f.name


def test_cli_register_contract(station):
    paths, _ = station
    out = run_ksk(
        "--user", ADMIN, "register", "--payload", CARD, "--json", data_dir=paths.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout)
    assert first["status"] == "created" and first["differences"] == {} and first["warnings"] == []
    out = run_ksk(
        "--user",
        ADMIN,
        "register",
        "--payload",
        MOVED,
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    second = json.loads(out.stdout)
    assert second["status"] == "needs_confirmation" and second["person_id"] == first["person_id"]
    assert second["differences"]["address"]["card"].startswith("Thôn Mới")
    out = run_ksk(
        "--user",
        ADMIN,
        "register",
        "--payload",
        MOVED,
        "--accept",
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert json.loads(out.stdout)["status"] == "existing"
    bad = run_ksk(
        "--user",
        ADMIN,
        "register",
        "--payload",
        "http://x.invalid",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1


def test_look_only_then_register_with_the_hamlet_picked(admin_session):
    first = register(admin_session, CARD, create_new=False)
    assert first.status == "needs_confirmation" and first.person_id is None and first.suggestion is not None
    assert people(admin_session) == 0
    done = register(admin_session, CARD, accept=True, hamlet="Thôn 3", commune_code="11680", group="c")
    person = persons.get_person(admin_session, done.person_id)
    assert (person.hamlet, person.commune_code, person.target_group) == ("Thôn 3", "11680", "c")
