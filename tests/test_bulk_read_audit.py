"""Bulk reads leave a trace: ``ksk person list --limit 100000`` used to read 2,000 people with only ``login`` in the
audit trail. Lists, searches and exports are audited (who, which filter, how many rows), and what the user typed
is kept only as a fingerprint: a name, a personal ID or a phone typed into a search is personal data."""

from __future__ import annotations

import json

from sqlalchemy import select

from conftest import ADMIN, ADMIN_PASSWORD, FROZEN_DAY, run_ksk
from ksk_desktop.db.models import AuditEvent
from ksk_desktop.station.lifecycle import login


def ksk(paths, *args: str):  # noqa: ANN001, ANN201
    out = run_ksk("--user", ADMIN, *args, data_dir=paths.root, password=ADMIN_PASSWORD)
    assert out.returncode == 0, out.stderr
    return out


def events_after(paths, seq: int) -> list[AuditEvent]:  # noqa: ANN001
    ctx = login(paths, ADMIN, ADMIN_PASSWORD, record=False)
    try:
        with ctx.read() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)))
    finally:
        ctx.close()


def head(paths) -> int:  # noqa: ANN001
    events = events_after(paths, 0)
    return events[-1].seq if events else 0


def test_a_bulk_list_on_the_command_line_is_audited(station):
    paths, _ = station
    ksk(paths, "demo", "--people", "2000", "--seed", "5")
    before = head(paths)
    rows = json.loads(ksk(paths, "person", "list", "--limit", "100000", "--json").stdout)
    total = len(rows["rows"]) if isinstance(rows, dict) else len(rows)
    assert total == 2000
    actions = [(e.actor, e.action) for e in events_after(paths, before)]
    assert (ADMIN, "person.list") in actions
    [listed] = [e for e in events_after(paths, before) if e.action == "person.list"]
    details = json.loads(listed.details)
    assert details["rows"] == 2000 and details["limit"] == 100000 and details["offset"] == 0
    assert details["filter"]["query"] is None and details["filter"]["groups"] == []


def test_typed_queries_are_kept_as_fingerprints(station):
    paths, _ = station
    ksk(
        paths,
        "person",
        "add",
        "--name",
        "Nguyễn Văn Đức",
        "--personal-id",
        "031085999901",
        "--phone",
        "0912345678",
    )
    before = head(paths)
    ksk(paths, "person", "list", "--query", "Nguyễn Văn Đức")
    ksk(paths, "person", "search", "nguyen van duc")
    ksk(paths, "person", "search", "031 085 999 901")
    ksk(paths, "person", "search", "031085999901")
    ksk(paths, "person", "export", str(paths.root.parent / "ds.xlsx"), "--query", "0912345678")
    events = [e for e in events_after(paths, before) if e.action != "login"]
    assert [e.action for e in events] == [
        "person.list",
        "person.search",
        "person.search",
        "person.search",
        "person.export",
    ]
    for e in events:
        text = e.details.lower()
        assert (
            "duc" not in text
            and "đức" not in text
            and "031085999901" not in text
            and "0912345678" not in text
        )
    queries = [json.loads(e.details).get("query") or json.loads(e.details)["filter"]["query"] for e in events]
    assert queries[0] == queries[1]  # the same name, with or without marks
    assert queries[0]["kind"] == "words" and queries[2]["kind"] == "number"
    assert queries[2] == queries[3]  # spaces in a number do not matter
    assert queries[4]["fingerprint"] != queries[3]["fingerprint"]
    assert json.loads(events[1].details)["results"] == 1

    # An investigator asks who looked this person up; the look-up is itself recorded.
    found = json.loads(ksk(paths, "audit", "searched", "NGUYEN VĂN ĐỨC", "--json").stdout)
    assert [e["action"] for e in found["events"]] == ["person.search", "person.list"]
    assert all(e["actor"] == ADMIN for e in found["events"])
    assert events_after(paths, events[-1].seq)[-1].action == "audit.query"


def test_an_empty_page_is_not_an_event(admin_session):
    from ksk_desktop.people import people_list

    flt = people_list.ListFilter(query="khong ai co ten nay")
    with admin_session.read() as s:
        before = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert people_list.page(admin_session, flt, 0, 50) == []
    with admin_session.read() as s:
        assert s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) == before


def test_the_not_examined_list_and_the_duplicates_are_audited(station):
    paths, _ = station
    ksk(paths, "person", "add", "--name", "Lê Thị Trùng", "--birth-year", "1960")
    ksk(paths, "person", "add", "--name", "Lê Thị Trùng", "--birth-year", "1960")
    before = head(paths)
    year = str(FROZEN_DAY.year)
    ksk(paths, "schedule", "coverage", "--year", year, "--list")
    ksk(paths, "person", "duplicates")
    events = {e.action: json.loads(e.details) for e in events_after(paths, before) if e.action != "login"}
    assert events["coverage.read"]["rows"] == 2 and events["coverage.read"]["year"] == int(year)
    assert events["person.duplicates"] == {"groups": 1, "rows": 2, "limit": 500}
    assert "Trùng" not in json.dumps(events, ensure_ascii=False)
