"""Personal IDs are 12 ASCII digits everywhere, after NFKC: a full-width ``０３１…`` used to be stored as typed
(Python's ``\\d`` takes any script's digits) and the ASCII number then made a second person; the hub took a
personal ID with a trailing newline (``$`` matches before a final ``\\n``). Real ``ksk`` processes for the
station; the hub's own app for the hub."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from test_sync_hub import api, clock, enroll, hub_url, person_item, push, store  # noqa: F401 - fixtures

from conftest import ADMIN, ADMIN_PASSWORD, FROZEN_DAY, run_ksk
from ksk_desktop.cccd.personal_id import is_personal_id, normalise_personal_id
from ksk_desktop.errors import InvalidInput
from ksk_desktop.importer import values
from ksk_desktop.people import persons
from ksk_desktop.people.search import parse_query
from ksk_desktop.scheduling.checkin import is_id_number
from sync.hub.items import ItemRejected
from sync.hub.people import clean_person

ASCII = "031085999901"
FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in ASCII)  # ０３１０８５９９９９０１
ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in ASCII)  # digits of another script: never an ID


def ksk(paths, *args: str):  # noqa: ANN001, ANN201
    return run_ksk("--user", ADMIN, *args, data_dir=paths.root, password=ADMIN_PASSWORD)


def test_a_full_width_id_is_the_same_person_on_every_path(station, tmp_path):
    paths, _ = station
    added = ksk(paths, "person", "add", "--name", "Nguyễn Văn An", "--personal-id", FULL_WIDTH, "--json")
    assert added.returncode == 0, added.stderr
    person = json.loads(added.stdout)
    assert person["personal_id"] == ASCII
    again = ksk(paths, "person", "add", "--name", "Nguyễn Văn An", "--personal-id", ASCII)
    assert again.returncode != 0  # the same person, not a second one
    assert json.loads(ksk(paths, "person", "count", "--json").stdout)["count"] == 1

    found = json.loads(ksk(paths, "person", "search", FULL_WIDTH, "--json").stdout)
    assert [r["id"] for r in found] == [person["id"]]

    # An import with the full-width number matches the person already there.
    src = tmp_path / "ds.csv"
    src.write_text(f"Họ và tên;Năm sinh;Số CCCD\nNguyễn Văn An;;{FULL_WIDTH}\n", encoding="utf-8")
    result = json.loads(ksk(paths, "person", "import", str(src), "--json").stdout)
    assert result["created"] == 0 and result["rejected"] == 0
    assert json.loads(ksk(paths, "person", "count", "--json").stdout)["count"] == 1

    # At the desk, a typed full-width number finds the person (who has no appointment today).
    desk = ksk(paths, "checkin", "--id-number", FULL_WIDTH)
    assert desk.returncode != 0 and "Không có ai mang số" not in desk.stderr


def test_digits_of_another_script_or_a_newline_are_never_an_id(station):
    paths, _ = station
    for bad in (ARABIC_INDIC, ASCII + "\n" + "1", "0310859999０"):
        out = ksk(paths, "person", "add", "--name", "Trần Thị Bình", "--personal-id", bad)
        assert out.returncode == 2 and "12 chữ số" in out.stderr
    assert json.loads(ksk(paths, "person", "count", "--json").stdout)["count"] == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FULL_WIDTH, ASCII),
        (f" {ASCII} ", ASCII),
        (ARABIC_INDIC, None),
        (ASCII + "\n", ASCII),
        ("０３１", None),
    ],
)
def test_the_one_helper(text, expected):
    normal = normalise_personal_id(text)
    assert (normal if is_personal_id(normal) else None) == expected


def test_core_checks_by_field():
    today = FROZEN_DAY
    base = persons.PersonInput(full_name="Lê Văn Cường", birth_year=1970)
    assert persons.validate(replace(base, personal_id=FULL_WIDTH), today).personal_id == ASCII
    with pytest.raises(InvalidInput):
        persons.validate(replace(base, old_id=ARABIC_INDIC[:9]), today)
    phone = "".join(chr(0xFF10 + int(d)) for d in "0912345678")
    assert persons.validate(replace(base, phone=phone), today).phone == "0912345678"
    assert values.parse_personal_id(FULL_WIDTH)[0] == ASCII
    with pytest.raises(values.CellError):
        values.parse_personal_id(ARABIC_INDIC)
    assert values.parse_birth("０５/０３/１９８５", today)[1] == 1985
    assert values.parse_insurance("ＧＤ４３１３１１２３４５６７８") == "GD4313112345678"
    assert parse_query(FULL_WIDTH, today).ids == [ASCII]
    assert parse_query(ARABIC_INDIC, today).ids == []
    assert is_id_number(FULL_WIDTH) and not is_id_number(ARABIC_INDIC) and not is_id_number(ASCII + "\n1")


# -- the hub ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [ASCII + "\n", FULL_WIDTH, ARABIC_INDIC, " " + ASCII])
def test_the_hub_refuses_what_is_not_twelve_ascii_digits(api, store, bad):  # noqa: F811
    with pytest.raises(ItemRejected):
        clean_person("p1", {"name": "Nguyễn Văn An", "personal_id": bad})
    dev = enroll(api, store)
    [result] = push(api, dev, [person_item(personal_id=bad)])
    assert result["status"] == "rejected" and result["code"] == "bad_personal_id"
    [ok] = push(api, dev, [person_item(personal_id=ASCII)])
    assert ok["status"] == "accepted"
