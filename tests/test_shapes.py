"""The core's typed values (ksk_desktop.shapes) and the JSON made from them."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, dataclass, replace
from datetime import date, timedelta

import pytest

from ksk_desktop.people import persons
from ksk_desktop.scheduling import days, sites
from ksk_desktop.shapes import Shape, jsonable, not_in_json, optional


@dataclass(frozen=True)
class Inner(Shape):
    code: str
    note: str | None


@dataclass(frozen=True)
class Outer(Shape):
    name: str
    items: list[Inner]
    extra: int | None = optional()
    local: bool = not_in_json(False)


def test_to_json_keeps_field_order_converts_nested_shapes_and_leaves_out_what_it_should():
    value = Outer("a", [Inner("x", None), Inner("y", "ghi chú")], local=True)
    assert value.to_json() == {
        "name": "a",
        "items": [{"code": "x", "note": None}, {"code": "y", "note": "ghi chú"}],
    }
    assert list(value.to_json()) == [
        "name",
        "items",
    ]  # extra is None: left out; local never leaves the process
    assert list(replace(value, extra=0).to_json()) == ["name", "items", "extra"]  # 0 is a value, not "absent"
    with pytest.raises(FrozenInstanceError):
        value.name = "b"  # type: ignore[misc]


def test_jsonable_reaches_shapes_inside_plain_containers():
    data = {"rows": [Inner("x", None)], "pair": (Inner("y", "z"), 1), "n": 2}
    assert json.loads(json.dumps(jsonable(data))) == {
        "rows": [{"code": "x", "note": None}],
        "pair": [{"code": "y", "note": "z"}, 1],
        "n": 2,
    }


def test_a_persons_record_and_its_payload_are_one_json(admin_session):
    created = persons.create_person(
        admin_session,
        persons.PersonInput(full_name="Lê Thị Hoa", birth_date=date(1990, 3, 5), sex="F", flags=["poor"]),
    )
    stored = persons.get_person(admin_session, created.id)
    assert stored == created and stored.dob == "1990-03-05" and stored.flags == ["poor"]
    keys = [k for k, _col in persons._PAYLOAD_FIELDS] + ["dob", "flags"]
    assert list(stored.to_json()) == keys  # the order ksk person show --json has always printed
    with admin_session.read() as s:
        from ksk_desktop.db.models import Person

        assert persons.to_json(s.get_one(Person, created.id)) == stored.to_json()  # the sync payload


def test_a_day_read_with_or_without_counts_keeps_its_json_keys(admin_session):
    site = sites.add_site(admin_session, name="Trạm Y tế", capacity_per_hour=20)
    added = days.add_day(
        admin_session,
        site_id=site.id,
        day=admin_session.clock.today() + timedelta(days=7),
        hours="07:30-08:30",
    )
    assert [x.start for x in added.slots or []] == ["07:30", "08:00"]
    assert list(added.to_json())[-4:] == ["booked", "capacity", "free", "slots"]
    locked = days.lock_day(admin_session, added.id)
    assert "site_name" not in locked.to_json() and "booked" not in locked.to_json()
    assert list(locked.to_json())[-1] == "appointments_changed"
    (listed,) = days.list_days(admin_session)
    # two 30-minute slots of 20 an hour × 30/60: 10 places each
    assert listed.locked and listed.free == listed.capacity == 2 * 10 and "slots" not in listed.to_json()
