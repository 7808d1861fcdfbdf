"""The write side of an import: match each chunk of parsed rows against the people already on the list
and write it, inside the import's one transaction.

Chunks arrive while the file is still being parsed, so a 100,000-row file is never held twice in memory.
(A writer thread beside the parser was tried: SQLite releases the GIL on every row stepped, and the parser
then starves it — the import got slower, not faster.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import Person
from ksk_desktop.people import persons
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import fold, sort_key

COMPARED = (
    "personal_id",
    "old_id",
    "full_name",
    "birth_date",
    "birth_year",
    "sex",
    "permanent_address",
    "current_address",
    "hamlet",
    "phone",
    "insurance_no",
    "target_group",
)

Parsed = tuple[persons.PersonInput, tuple]  # a validated row and its match key (folded name, birth, hamlet)


def match_key(name_fold: str, dob: Any, year: int | None, hamlet: str | None) -> tuple:
    return (name_fold, str(dob) if dob else f"y{year}", fold(hamlet or ""))


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: int = 0


class ImportWriter:
    """Writes chunks of parsed rows in the caller's transaction *s*; counts what it did."""

    def __init__(
        self,
        ctx: StationSession,
        s: Session,
        progress: Callable[[int], None] | None = None,
        checkpoint: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.s = s
        self.counts = Counts()
        self._progress = progress
        self._checkpoint = checkpoint or (lambda: None)  # raises to stop (a cancel), every 1,000 rows
        self._by_id: dict[str, dict] = {}
        self._by_key: dict[tuple, dict] = {}
        cols = ", ".join(("id", "version", "name_fold", *COMPARED))
        for found in s.execute(text(f"SELECT {cols} FROM person")).mappings():
            row = dict(found)
            if row["personal_id"]:
                self._by_id[row["personal_id"]] = row
            self._by_key.setdefault(
                match_key(row["name_fold"], row["birth_date"], row["birth_year"], row["hamlet"]), row
            )

    def write(self, chunk: list[Parsed]) -> None:
        creates: list[persons.PersonInput] = []
        for n, (data, key) in enumerate(chunk, 1):
            if n % 1000 == 0:
                self._checkpoint()
            existing = self._by_id.get(data.personal_id) if data.personal_id else None
            if existing is None:
                candidate = self._by_key.get(key)
                if candidate and (not data.personal_id or not candidate["personal_id"]):
                    existing = candidate
            if existing is None:
                creates.append(data)
                continue
            changes = _changes(existing, data)
            if changes:
                _update(self.ctx, self.s, existing, changes)
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
        if creates:
            # Every personal ID here was matched against the whole list and the rest of the file already.
            persons.insert_rows(self.ctx, self.s, creates, action="person.import_batch", ids_checked=True)
            self.counts.created += len(creates)
            self._checkpoint()
        self.counts.written += len(chunk)
        if self._progress:
            self._progress(self.counts.written)


def _changes(existing: dict, data: persons.PersonInput) -> dict[str, tuple[Any, Any]]:
    """Fields the file fills or corrects. An empty cell never erases what is stored."""
    changes = {}
    for col in COMPARED:
        new = getattr(data, col)
        old = existing[col]
        if isinstance(old, str) and col == "birth_date":
            old = date.fromisoformat(old)
        if new is None or new == old:
            continue
        if col == "personal_id" and old:  # matched on the ID itself, or a different person: never overwrite
            continue
        if col == "birth_year" and data.birth_date is None and existing["birth_date"]:
            continue  # a year-only list does not downgrade a full date
        changes[col] = (old, new)
    return changes


def _update(ctx: StationSession, s, existing: dict, changes: dict) -> None:  # noqa: ANN001 - a Session
    values = {col: new for col, (_old, new) in changes.items()}
    if "full_name" in values:
        values["name_fold"] = fold(values["full_name"])
        values["sort_key"] = sort_key(values["full_name"])
    values["version"] = existing["version"] + 1
    values["updated_at"] = ctx.clock.utcnow()
    s.connection().execute(update(Person).where(Person.id == existing["id"]), values)
    json_safe = {
        col: (str(old) if isinstance(old, date) else old, str(new) if isinstance(new, date) else new)
        for col, (old, new) in changes.items()
    }
    ctx.audit(
        s,
        "person.update",
        "person",
        existing["id"],
        {
            "source": "import",
            "old": {c: o for c, (o, _n) in json_safe.items()},
            "new": {c: n for c, (_o, n) in json_safe.items()},
        },
    )
    outbox.enqueue(s, "person", existing["id"], None, values["version"])
    existing.update({c: n for c, (_o, n) in changes.items()}, version=values["version"])
