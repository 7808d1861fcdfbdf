"""Finding people listed twice and merging them, keeping every record that pointed at either."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db import rowcount
from ksk_desktop.db.models import Base, Person, PersonFlag, PersonMerge
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.station import audit
from ksk_desktop.station.session import StationSession


def find(ctx: StationSession, limit: int = 500) -> list[dict]:
    """Groups of people who look like one: the same folded name and date of birth (or birth year when only the
    year is known), or the same old ID. Each group: {"reason", "people": [list rows]}."""
    from ksk_desktop.people import search as finder

    ctx.require(Perm.PERSON_READ)
    groups = []
    with ctx.read() as s:
        by_name = (
            s.execute(
                text(
                    "SELECT group_concat(id, ',') FROM person GROUP BY name_fold, coalesce(birth_date, 'y' || birth_year) "
                    "HAVING count(*) > 1 LIMIT :lim"
                ),
                {"lim": limit},
            )
            .scalars()
            .all()
        )
        by_old = (
            s.execute(
                text(
                    "SELECT group_concat(id, ',') FROM person WHERE old_id IS NOT NULL GROUP BY old_id HAVING count(*) > 1 "
                    "LIMIT :lim"
                ),
                {"lim": limit},
            )
            .scalars()
            .all()
        )
        seen: set[frozenset] = set()
        for reason, rows in (("Trùng họ tên và ngày sinh", by_name), ("Trùng số CMND cũ", by_old)):
            for ids in rows:
                key = frozenset(ids.split(","))
                if key in seen:
                    continue
                seen.add(key)
                people = finder.load_rows(s, sorted(key))
                ids_with_two_pids = {p["personal_id"] for p in people if p["personal_id"]}
                if len(ids_with_two_pids) > 1:
                    continue  # two different personal IDs: two different people who share a name and birthday
                groups.append({"reason": reason, "people": people})
    if groups:  # a list of people read in bulk: audited (how many, never who)
        with ctx.write() as s:
            ctx.audit(
                s,
                "person.duplicates",
                "person",
                None,
                {"groups": len(groups), "rows": sum(len(g["people"]) for g in groups), "limit": limit},
            )
    return groups


def _references(exclude: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every (table, column) holding a person id, read from the schema so later tables are included."""
    refs = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "person" and fk.column.name == "id":
                pair = (table.name, fk.parent.name)
                if pair not in exclude:
                    refs.append(pair)
    return refs


def merge(ctx: StationSession, keep_id: str, merge_id: str) -> dict:
    """Merge *merge_id* into *keep_id* in one transaction: the kept record's values win, its empty fields are
    filled from the other, flags are united, everything that pointed at the other now points at the kept one.
    The merged record is kept as a snapshot and its id stays resolvable (sync and old printouts)."""
    ctx.require(Perm.PERSON_MERGE)
    if keep_id == merge_id:
        raise InvalidInput("Không thể gộp một người với chính họ.")
    with ctx.write() as s:
        keep, other = s.get(Person, keep_id), s.get(Person, merge_id)
        if keep is None or other is None:
            raise NotFound("Không tìm thấy một trong hai hồ sơ cần gộp.")
        if keep.personal_id and other.personal_id and keep.personal_id != other.personal_id:
            raise InvalidInput(
                "Hai hồ sơ có hai số định danh khác nhau: đây là hai người khác nhau, không gộp."
            )
        before_keep, snapshot = persons.to_json(keep), persons.to_json(other)
        filled = {}
        for f in persons.EDITABLE:
            if getattr(keep, f) in (None, "") and getattr(other, f) not in (None, ""):
                filled[f] = getattr(other, f)
        flags = sorted({fl.flag for fl in keep.flags} | {fl.flag for fl in other.flags})
        moved = {}
        for table, column in _references({("person_merge", "kept_id")}):
            if table == "person_flag":
                continue  # flags are united above, the merged person's rows go with it
            n = rowcount(
                s.execute(
                    text(f'UPDATE "{table}" SET "{column}" = :k WHERE "{column}" = :m'),
                    {"k": keep_id, "m": merge_id},
                )
            )
            if n:
                moved[f"{table}.{column}"] = n
        s.execute(
            text("UPDATE person_merge SET kept_id = :k WHERE kept_id = :m"), {"k": keep_id, "m": merge_id}
        )
        s.delete(other)
        s.flush()
        for f, value in filled.items():
            setattr(keep, f, value)
        keep.flags = [PersonFlag(flag=f) for f in flags]
        keep.version += 1
        keep.updated_at = ctx.clock.utcnow()
        s.add(
            PersonMerge(
                merged_id=merge_id,
                kept_id=keep_id,
                merged_by=ctx.user.username,
                merged_at=ctx.clock.utcnow(),
                snapshot=audit.canonical_json(snapshot),
            )
        )
        s.flush()
        after = persons.to_json(keep)
        ctx.audit(
            s,
            "person.merge",
            "person",
            keep_id,
            {
                "merged_id": merge_id,
                "merged": snapshot,
                "kept_before": before_keep,
                "filled": sorted(filled),
                "moved": moved,
            },
        )
        outbox.enqueue(s, "person_merge", merge_id, {"merged_id": merge_id, "kept_id": keep_id})
        outbox.enqueue(s, "person", keep_id, None, keep.version)
    return {"kept": after, "merged_id": merge_id, "filled": sorted(filled), "moved": moved}


def resolve(ctx: StationSession, person_id: str) -> str:
    """The id to use for *person_id*: itself, or the person it was merged into (following chains)."""
    with ctx.read() as s:
        return resolve_in(s, person_id)


def resolve_in(session: Session, person_id: str) -> str:
    """:func:`resolve` inside a transaction the caller already holds."""
    for _ in range(20):
        kept = session.execute(
            text("SELECT kept_id FROM person_merge WHERE merged_id = :i"), {"i": person_id}
        ).scalar()
        if kept is None:
            return person_id
        person_id = kept
    return person_id


def snapshot_of(ctx: StationSession, merged_id: str) -> dict | None:
    with ctx.read() as s:
        raw = s.execute(
            text("SELECT snapshot FROM person_merge WHERE merged_id = :i"), {"i": merged_id}
        ).scalar()
    return json.loads(raw) if raw else None
