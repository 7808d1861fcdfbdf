"""Finding people: accents, word order, prefixes, identifiers, birth year, ranking — on a real encrypted station."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.people.search import parse_query, search_ids

P = persons.PersonInput
PEOPLE = [
    P(
        "Nguyễn Văn Đức",
        personal_id="031085999901",
        birth_date=date(1985, 4, 15),
        sex="M",
        hamlet="Thôn 1",
        phone="0912345678",
        old_id="999888701",
        insurance_no="GD4313199999901",
        target_group="c",
    ),
    P("Nguyễn Văn Đức Anh", personal_id="031090999902", birth_year=1990, sex="M", hamlet="Thôn 2"),
    P("Trần Thị Đức", personal_id="031185999903", birth_year=1985, sex="F", hamlet="Thôn 1"),
    P("Nguyễn Đức Văn", personal_id="031070999904", birth_year=1970, sex="M", hamlet="Thôn 3"),
    P(
        "Lê Văn An",
        personal_id="031060999905",
        birth_year=1960,
        sex="M",
        hamlet="Thôn 3",
        flags=["elderly"],
        target_group="a",
    ),
    P("Lê Văn Anh", personal_id="031061999906", birth_year=1961, sex="M", hamlet="Thôn 3"),
    P("Đặng Thị Lưu", birth_year=1950, sex="F", hamlet="Thôn 2"),
    P("Hồ Thị Nội", personal_id="030185999908", birth_year=1985, sex="F", hamlet="Thôn 2"),
]


@pytest.fixture
def ctx(admin_session):
    persons.create_many(
        admin_session, PEOPLE + [P(f"Phạm Văn Thêm {i}", birth_year=1980 + i % 20) for i in range(60)]
    )
    return admin_session


def names(ctx, query, **kw):
    return [r["name"] for r in persons.search(ctx, query, **kw)]


def test_accents_case_and_d_are_folded(ctx):
    for q in ("nguyen van duc", "NGUYỄN VĂN ĐỨC", "Nguyen Van Duc", "nguyễn văn đức"):
        assert names(ctx, q)[0] == "Nguyễn Văn Đức", q
    assert names(ctx, "dang thi luu") == ["Đặng Thị Lưu"]
    assert names(ctx, "ho thi noi") == ["Hồ Thị Nội"]


def test_words_in_any_order_and_prefixes(ctx):
    assert set(names(ctx, "duc nguyen")) >= {"Nguyễn Văn Đức", "Nguyễn Văn Đức Anh", "Nguyễn Đức Văn"}
    assert "Nguyễn Văn Đức" in names(ctx, "ng v du")
    assert names(ctx, "tran th d") == ["Trần Thị Đức"]


def test_ranking_exact_name_then_whole_words_then_prefixes(ctx):
    # the exact full name, then every word whole (in list order: given name first), then prefixes
    assert names(ctx, "nguyen van duc") == ["Nguyễn Văn Đức", "Nguyễn Văn Đức Anh", "Nguyễn Đức Văn"]
    assert names(ctx, "le van an")[:2] == ["Lê Văn An", "Lê Văn Anh"]  # whole word "an" before prefix "an…"


def test_identifiers(ctx):
    assert names(ctx, "031085999901") == ["Nguyễn Văn Đức"]
    assert names(ctx, "031.085.999.901") == ["Nguyễn Văn Đức"]
    assert names(ctx, "99901") == ["Nguyễn Văn Đức"]  # last 5 digits
    assert names(ctx, "999903") == ["Trần Thị Đức"]  # last 6 digits
    assert names(ctx, "999888701") == ["Nguyễn Văn Đức"]  # old ID
    assert names(ctx, "0912 345 678") == ["Nguyễn Văn Đức"]
    assert names(ctx, "+84 912 345 678") == ["Nguyễn Văn Đức"]
    assert names(ctx, "gd4313199999901") == ["Nguyễn Văn Đức"]
    assert names(ctx, "031085999999") == []


def test_birth_year_filter(ctx):
    assert set(names(ctx, "duc 1985")) == {"Nguyễn Văn Đức", "Trần Thị Đức"}
    assert names(ctx, "duc", birth_year=1970) == ["Nguyễn Đức Văn"]


def test_result_shape_and_limit(ctx):
    rows = persons.search(ctx, "pham van them", limit=7)
    assert len(rows) == 7
    row = persons.search(ctx, "le van an")[0]
    assert set(row) >= {"id", "personal_id", "name", "dob", "sex", "hamlet", "groups"}
    assert row["groups"] == ["a"] and row["flags"] == ["elderly"]
    assert persons.search(ctx, "nguyen van duc")[0]["dob"] == "1985-04-15"


def test_index_follows_changes_made_in_sql(ctx):
    with ctx.write() as s:
        s.execute(
            text(
                "UPDATE person SET full_name='Nguyễn Văn Đổi', name_fold='nguyen van doi' "
                "WHERE personal_id='031090999902'"
            )
        )
        s.execute(text("DELETE FROM person WHERE personal_id='031061999906'"))
    assert names(ctx, "nguyen van doi") == ["Nguyễn Văn Đổi"]
    assert "Nguyễn Văn Đức Anh" not in names(ctx, "duc anh")
    assert names(ctx, "031061999906") == []


def test_query_parsing():
    day = date(2026, 1, 1)
    q = parse_query("Đức Nguyễn 1985", today=day)
    assert q.words == ["duc", "nguyen"] and q.birth_year == 1985
    assert parse_query("Đức 2027", today=day).birth_year is None  # not born yet: part of an ID
    assert parse_query("0912.345.678", today=day).ids == ["0912345678"]
    assert parse_query("1985", today=day).ids == ["1985"]  # alone: the tail of an ID


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_is_a_safe_query(ctx, query):
    with ctx.read() as s:
        assert isinstance(
            search_ids(s, query, 10, today=ctx.clock.today()), list
        )  # FTS syntax ("*", '"', NOT, parentheses) never leaks


def test_cli_search_json(station):
    paths, _ = station
    add = run_ksk(
        "--user",
        ADMIN,
        "person",
        "add",
        "--name",
        "Nguyễn Văn Đức",
        "--personal-id",
        "031085999901",
        "--dob",
        "15/04/1985",
        "--sex",
        "Nam",
        "--hamlet",
        "Thôn 1",
        "--group",
        "c",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert add.returncode == 0, add.stderr
    out = run_ksk(
        "--user",
        ADMIN,
        "person",
        "search",
        "duc nguyen",
        "--limit",
        "5",
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0]["name"] == "Nguyễn Văn Đức" and rows[0]["personal_id"] == "031085999901"
    assert rows[0]["dob"] == "1985-04-15" and rows[0]["sex"] == "M" and rows[0]["hamlet"] == "Thôn 1"
    assert rows[0]["groups"] == ["c"]


def test_bulk_writes_index_everyone_and_keep_the_trigger(admin_session):
    many = [
        P.from_dict(p)
        for p in generate_people(
            persons.BULK_INDEX_ROWS + 100, seed=11, commune_code="10507", reference_date=date(2026, 1, 1)
        )
    ]
    persons.create_many(admin_session, many)
    with admin_session.read() as s:
        indexed = s.execute(
            text(
                "SELECT count(*) FROM person_fts WHERE person_fts MATCH 'name : a* OR name : b* OR "
                "name : c* OR name : d* OR name : e* OR name : g* OR name : h* OR name : k* OR "
                "name : l* OR name : m* OR name : n* OR name : o* OR name : p* OR name : q* OR "
                "name : s* OR name : t* OR name : u* OR name : v* OR name : x* OR name : y* OR "
                "name : i* OR name : r*'"
            )
        ).scalar()
        trigger = s.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'person_fts_insert'")
        ).scalar()
    assert indexed == len(many) and trigger == 1
    some = many[123]
    assert some.full_name in names(admin_session, some.full_name)
    persons.create_person(
        admin_session, P("Quách Thị Sau Cùng", birth_year=1999)
    )  # one row: the trigger again
    assert names(admin_session, "quach thi sau cung") == ["Quách Thị Sau Cùng"]
