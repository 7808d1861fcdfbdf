"""Applying what the hub sends down: roster updates and merges, with the cursor moved in the same transaction.

Rules (DHIS2's, see research/reliability.md §3.2): a pulled record never overwrites a local record that has
unsent or parked changes (the local change goes up first and comes back through the hub); replays are
no-ops. A merge announced by the hub is carried out here with the core's person merge (``duplicates.merge``:
references re-pointed, the merged id kept resolvable, audited, queued), under the ``sync`` actor because the
hub — not the person at the keyboard — decided it. Every merge the hub announces is also recorded in
``sync_remote_merge``, including those that concern no local record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.clock import to_vietnam
from ksk_desktop.db.bulk import insert_many
from ksk_desktop.db.models import OutboxItem, Person, PersonFlag, PersonMerge, SyncConflict, SyncRemoteMerge
from ksk_desktop.errors import KskError
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import duplicates, persons, search
from ksk_desktop.security.roles import Role
from ksk_desktop.station.audit import canonical_json
from ksk_desktop.station.session import CurrentUser, StationSession
from ksk_desktop.text import fold, sort_key

SYSTEM_ACTOR = "sync"


@dataclass
class PullReport:
    changes: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    merges_applied: int = 0
    merges_recorded: int = 0

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def _input(data: dict) -> persons.PersonInput:
    dob = data.get("dob")
    return persons.PersonInput(
        full_name=data.get("name") or "",
        personal_id=data.get("personal_id"),
        old_id=data.get("old_id"),
        birth_date=date.fromisoformat(dob) if dob else None,
        birth_year=data.get("birth_year"),
        sex=data.get("sex"),
        permanent_address=data.get("permanent_address"),
        current_address=data.get("current_address"),
        commune_code=data.get("commune_code"),
        hamlet=data.get("hamlet"),
        phone=data.get("phone"),
        insurance_no=data.get("insurance_no"),
        target_group=data.get("target_group"),
        flags=[f for f in (data.get("flags") or []) if f in persons.FLAGS],
        guardian_name=data.get("guardian_name"),
        guardian_phone=data.get("guardian_phone"),
    )


def _has_local_changes(s: Session, person_id: str) -> bool:
    return (
        s.scalar(
            select(OutboxItem.seq)
            .where(
                OutboxItem.kind == "person",
                OutboxItem.entity_id == person_id,
                OutboxItem.state.in_(("pending", "in_flight", "parked")),
            )
            .limit(1)
        )
        is not None
    )


def _holder(s: Session, personal_id: str | None) -> str | None:
    if not personal_id:
        return None
    return s.scalar(select(Person.id).where(Person.personal_id == personal_id))


def _insert(s: Session, person_id: str, clean: persons.PersonInput, now, *, personal_id: str | None) -> None:  # noqa: ANN001
    values = persons.person_row(clean, now, person_id) | {"personal_id": personal_id}
    s.add(Person(**values, flags=[PersonFlag(flag=f) for f in clean.flags]))
    s.flush()


PERSON_CONFLICT = "Có thay đổi song song của hồ sơ: máy chủ giữ lại các giá trị bị ghi đè"


def _record_conflict(s: Session, person_id: str, conflict: dict, now) -> None:  # noqa: ANN001
    """A concurrent change of the person that the hub kept (docs/multi-device.md §4): shown on the card and the
    Đồng bộ page; recorded once whatever happens to the roster change itself."""
    key = f"hub-{conflict.get('id')}"
    fields = conflict.get("fields")
    if not isinstance(fields, dict) or s.scalar(
        select(SyncConflict.id).where(SyncConflict.lost_item_id == key)
    ):
        return
    device = conflict.get("device_id")
    s.add(
        SyncConflict(
            kind="person",
            entity_id=person_id,
            kept_item_id=None,
            lost_item_id=key,
            lost_device_id=device if isinstance(device, str) else None,
            lost_payload=canonical_json({"fields": fields}),
            detail=PERSON_CONFLICT,
            found_at=now,
        )
    )


def apply_roster(s: Session, data: dict, report: PullReport, now) -> str | None:  # noqa: ANN001
    """Insert or update one person from the hub; returns its id when something changed here."""
    pid = data.get("id")
    if not isinstance(pid, str) or not pid:
        report.skip("invalid")
        return None
    if isinstance(data.get("conflict"), dict):
        _record_conflict(s, pid, data["conflict"], now)
    revision = data.get("revision") if isinstance(data.get("revision"), int) else None
    if s.get(PersonMerge, pid) is not None:
        report.skip("merged_here")  # our own merge of it is on its way up
        return None
    try:
        clean = persons.validate(_input(data), to_vietnam(now).date())
    except (KskError, ValueError, TypeError):
        report.skip("invalid")
        return None
    person = s.get(Person, pid)
    if person is None:
        if _holder(s, clean.personal_id) is not None:
            report.skip("personal_id_held")  # a local record with this ID goes up and the hub merges the two
            return None
        _insert(s, pid, clean, now, personal_id=clean.personal_id)
        s.get_one(Person, pid).hub_revision = revision
        report.inserted += 1
        return pid
    if _has_local_changes(s, pid):
        report.skip("local_changes")
        return None
    if clean.personal_id and clean.personal_id != person.personal_id and _holder(s, clean.personal_id):
        report.skip("personal_id_held")
        return None
    changed = False
    for f in persons.EDITABLE:
        if getattr(person, f) != getattr(clean, f):
            setattr(person, f, getattr(clean, f))
            changed = True
    if clean.commune_code and person.commune_code != clean.commune_code:
        person.commune_code, changed = clean.commune_code, True
    if sorted(fl.flag for fl in person.flags) != clean.flags:
        person.flags = [PersonFlag(flag=f) for f in clean.flags]
        changed = True
    person.hub_revision = revision
    if not changed:
        report.unchanged += 1
        return None
    person.name_fold, person.sort_key = fold(person.full_name), sort_key(person.full_name)
    person.version += 1  # an open card holding the old version will notice
    person.updated_at = now
    s.flush()
    report.updated += 1
    return pid


def _all_new(s: Session, ids: list) -> bool:
    """Whether every id of a run of roster changes is a distinct person this device has never seen."""
    if not all(isinstance(i, str) and i for i in ids) or len(set(ids)) != len(ids):
        return False
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if s.scalar(select(Person.id).where(Person.id.in_(chunk)).limit(1)) is not None:
            return False
        if (
            s.scalar(select(PersonMerge.merged_id).where(PersonMerge.merged_id.in_(chunk)).limit(1))
            is not None
        ):
            return False
    return True


def apply_roster_run(s: Session, datas: list[dict], report: PullReport, now) -> list[str]:  # noqa: ANN001
    """``apply_roster`` for a run of changes, in order; returns the ids changed here. A run of people all new here
    (a device catching up from empty) is inserted in bulk, straight through the driver, with the same outcome:
    an invalid record skipped, a personal ID already held here (or earlier in the run) skipped."""
    if any(isinstance(d.get("conflict"), dict) for d in datas) or not _all_new(
        s, [d.get("id") for d in datas]
    ):
        return [pid for d in datas if (pid := apply_roster(s, d, report, now))]
    today = to_vietnam(now).date()
    checked: list[tuple[str, persons.PersonInput, int | None]] = []
    for d in datas:
        revision = d.get("revision") if isinstance(d.get("revision"), int) else None
        try:
            checked.append((d["id"], persons.validate(_input(d), today), revision))
        except (KskError, ValueError, TypeError):
            report.skip("invalid")
    wanted = [c.personal_id for _i, c, _r in checked if c.personal_id]
    taken: set[str | None] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(s.scalars(select(Person.personal_id).where(Person.personal_id.in_(chunk))))
    rows: list[dict] = []
    flags: list[dict] = []
    for pid, clean, revision in checked:
        if clean.personal_id and clean.personal_id in taken:
            report.skip("personal_id_held")
            continue
        taken.add(clean.personal_id)
        rows.append(persons.person_row(clean, now, pid) | {"hub_revision": revision})
        flags.extend({"person_id": pid, "flag": f} for f in clean.flags)
    if len(rows) >= persons.BULK_INDEX_ROWS:
        with search.index_in_bulk(s):
            insert_many(s, Person.__table__, rows)
    else:
        insert_many(s, Person.__table__, rows)
    insert_many(s, PersonFlag.__table__, flags)
    report.inserted += len(rows)
    return [r["id"] for r in rows]


def _system_session(ctx: StationSession) -> StationSession:
    user = CurrentUser(ctx.user.id, SYSTEM_ACTOR, "Đồng bộ với máy chủ thành phố", Role.HEAD)
    return StationSession(ctx.paths, ctx.keystore, ctx.db, user, ctx.key, ctx.clock)


def _record_merge(s: Session, merged_id: str, kept_id: str, reason: str | None, now, applied: bool) -> None:  # noqa: ANN001
    row = s.get(SyncRemoteMerge, merged_id)
    if row is None:
        row = SyncRemoteMerge(merged_id=merged_id, kept_id=kept_id, reason=reason, received_at=now)
        s.add(row)
    row.kept_id = kept_id
    if applied and row.applied_at is None:
        row.applied_at = now


def apply_merge(ctx: StationSession, seq: int, data: dict, report: PullReport, clock) -> None:  # noqa: ANN001
    """Carry out (or record) one merge the hub announced; each step is idempotent, the cursor moves last."""
    merged_id, kept_id = data.get("merged_id"), data.get("kept_id")
    if not isinstance(merged_id, str) or not isinstance(kept_id, str) or merged_id == kept_id:
        with ctx.write() as s:
            report.skip("invalid")
            sync_state.set_cursor(s, seq)
        return
    now = clock()
    with ctx.write() as s:
        local_kept = duplicates.resolve_in(s, kept_id)
        merged_here = s.get(PersonMerge, merged_id) is not None
        dropped = s.get(Person, merged_id)
        if merged_here or dropped is None:
            # Nothing of it here (or merged already): remember the mapping, so later references resolve.
            _record_merge(s, merged_id, kept_id, data.get("reason"), now, applied=merged_here)
            sync_state.set_cursor(s, seq)
            report.merges_recorded += 1
            return
        if s.get(Person, local_kept) is None:
            kept_data = data.get("kept")
            try:
                clean = (
                    persons.validate(_input(kept_data), ctx.clock.today())
                    if isinstance(kept_data, dict)
                    else None
                )
            except (KskError, ValueError, TypeError):
                clean = None
            if clean is None:
                _record_merge(s, merged_id, kept_id, data.get("reason"), now, applied=False)
                sync_state.set_cursor(s, seq)
                report.merges_recorded += 1
                report.skip("merge_without_kept_record")
                return
            # The kept record joins this station; the personal ID moves to it with the merge below.
            held = _holder(s, clean.personal_id)
            _insert(s, local_kept, clean, now, personal_id=None if held else clean.personal_id)
            ctx.audit(s, "sync.pull", "person", local_kept, {"inserted_for_merge": merged_id})
    try:
        duplicates.merge(_system_session(ctx), local_kept, merged_id)
        applied = True
    except KskError:  # e.g. two different personal IDs here: left for a person to look at, recorded
        applied = False
        report.skip("merge_refused_here")
    with ctx.write() as s:
        _record_merge(s, merged_id, kept_id, data.get("reason"), clock(), applied=applied)
        sync_state.set_cursor(s, seq)
    if applied:
        report.merges_applied += 1
    else:
        report.merges_recorded += 1


def apply_page(ctx: StationSession, page: dict, report: PullReport, clock) -> None:  # noqa: ANN001
    """Apply one page of changes in order; roster runs share a transaction with the cursor they cover."""
    run: list[dict] = []

    def flush_run() -> None:
        if not run:
            return
        now = clock()
        with ctx.write() as s:
            touched = apply_roster_run(s, [ch["data"] for ch in run], report, now)
            if touched:
                ctx.audit(s, "sync.pull", "person", None, {"changed": touched})
            sync_state.set_cursor(s, run[-1]["seq"])
        run.clear()

    for ch in page["changes"]:
        report.changes += 1
        if ch["type"] == "roster":
            run.append(ch)
        else:
            flush_run()
            apply_merge(ctx, ch["seq"], ch["data"], report, clock)
    flush_run()
    with ctx.write() as s:
        sync_state.set_cursor(s, page["next_cursor"])
