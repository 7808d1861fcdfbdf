import threading
import uuid

from ksk_desktop.ids import new_id, new_ids


def test_ids_are_uuid7_strings_in_ascending_order():
    ids = new_ids(20_000) + [new_id() for _ in range(500)] + new_ids(3)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    for value in ids[:50] + ids[-50:]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_from_many_threads_never_collide():
    out: list[list[str]] = []

    def work():
        out.append(new_ids(2000) + [new_id() for _ in range(200)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for chunk in out for i in chunk]
    assert len(set(every)) == len(every) == 4 * 2200
    for chunk in out:
        assert chunk == sorted(chunk)


def test_every_record_a_station_makes_has_a_uuid7_id(tmp_path):
    """One id scheme (ksk_desktop.ids) wherever the app makes a record: the demo station makes every kind
    (station, users, people, campaign, sites, days, slots, appointments, consents, exams, referrals...)."""
    from sqlalchemy import text

    from ksk_desktop.demo.seed import DEMO_SECRET, create_demo
    from ksk_desktop.station.lifecycle import login
    from ksk_desktop.station.paths import StationPaths

    paths = StationPaths(tmp_path / "demo")
    create_demo(paths, 200, seed=3)
    ctx = login(paths, "admin", DEMO_SECRET)
    try:
        with ctx.read() as s:
            tables = s.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
            checked = {}
            for table in tables:
                columns = [r[1] for r in s.execute(text(f'PRAGMA table_info("{table}")'))]
                for column in ("id", "item_id", "exam_id"):
                    if column not in columns or table == "alembic_version":
                        continue
                    values = s.execute(text(f'SELECT "{column}" FROM "{table}"')).scalars().all()
                    if all(isinstance(v, str) for v in values):  # not SQLite's own rowids (the search index)
                        checked[f"{table}.{column}"] = (len(values), {uuid.UUID(v).version for v in values})
    finally:
        ctx.close()
    made = {k: v for k, v in checked.items() if v[0]}
    assert {"station.id", "app_user.id", "person.id", "appointment.id", "slot.id", "outbox.item_id"} <= set(
        made
    )
    assert {"campaign.id", "consent.id", "exam_version.exam_id", "referral.id", "followup.id"} <= set(made)
    assert {k for k, (_n, versions) in made.items() if versions != {7}} == set(), made


def test_no_other_id_maker_in_the_product():
    """uuid4 and hand-made random ids are gone; uuid5 stays where an id is derived from content (namespaced)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    made = re.compile(r"uuid\.uuid[1346]\(|\buuid[1346]\(|urandom\([^)]*\)\.hex\(")
    found = [
        f"{path.relative_to(root)}:{n}"
        for package in ("ksk_desktop", "sync", "ui")
        for path in (root / package).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if made.search(line)
    ]
    assert found == []
