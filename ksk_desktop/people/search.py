"""Finding people fast: a name typed without accents in any word order, an ID or its last digits, an old
ID, a phone or insurance number, with an optional birth year.

Ranking: an exact identifier first, then an exact full name, then names containing every typed word as a
whole word, then names where the typed words are word prefixes; ties in Vietnamese list order (given name
first). Each tier is one indexed query that stops as soon as it has enough rows.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from ksk_desktop.text import fold, is_ascii_digits, nfkc

_SPLIT = re.compile(r"[^0-9a-z]+")
_NUMBER_GLUE = re.compile(r"[\s.\-+()]")


@dataclass
class ParsedQuery:
    """What the person typed, sorted into identifiers, name words and a birth year."""

    ids: list[str] = field(
        default_factory=list
    )  # whole identifier tokens (ID, tail, old ID, phone, insurance)
    words: list[str] = field(default_factory=list)  # folded name words
    birth_year: int | None = None

    @property
    def empty(self) -> bool:
        return not self.ids and not self.words and self.birth_year is None


def parse_query(query: str, today: date) -> ParsedQuery:
    """Split a free-text query. ``"duc nguyen 1985"`` → words [duc, nguyen], birth year 1985 (a year up to
    *today*'s)."""
    this_year = today.year
    parsed = ParsedQuery()
    folded = fold(nfkc(query))  # a full-width ０３１… finds the person stored as 031…
    glued = _NUMBER_GLUE.sub("", folded)
    if glued.startswith("84") and len(glued) in (11, 12) and is_ascii_digits(glued):
        glued = "0" + glued[2:]  # +84 912 345 678 → 0912345678
    if is_ascii_digits(glued) and len(glued) >= 4:
        parsed.ids.append(glued)  # "0912 345 678", "031.085.999.901"
        return parsed
    for token in _SPLIT.split(folded):
        if not token:
            continue
        if is_ascii_digits(token):
            if len(token) == 4 and 1880 <= int(token) <= this_year:
                parsed.birth_year = int(token)
            elif len(token) >= 4:
                parsed.ids.append(token)
        elif any(ch.isdigit() for ch in token):
            parsed.ids.append(token)  # an insurance card number such as gd4311234567890
        else:
            parsed.words.append(token)
    if parsed.birth_year is not None and not parsed.words and not parsed.ids:
        # A lone 4-digit number is more often the tail of a personal ID than a birth year.
        parsed.ids.append(str(parsed.birth_year))
        parsed.birth_year = None
    return parsed


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', "") + '"'


def match_expression(parsed: ParsedQuery, prefix: bool) -> str:
    """The FTS5 MATCH text of a query with words or ids."""
    parts = [f"ids : {_fts_quote(t)}" for t in parsed.ids]
    parts += [f"name : {_fts_quote(w)}{'*' if prefix else ''}" for w in parsed.words]
    return " AND ".join(parts)


_COLUMNS = (
    "p.id, p.personal_id, p.old_id, p.full_name, p.birth_date, p.birth_year, p.sex, p.hamlet, "
    "p.phone, p.target_group, p.insurance_no"
)


DENSE = 2000  # more FTS hits than this: walk the list order and stop early instead of sorting every hit


def _fts_tier(session: Session, expr: str, year_sql: str, params: dict, limit: int) -> list[str]:
    """People matching an FTS expression in list order. Few hits: fetch and sort them. Many hits (a common
    family name): walk the sort-key index and stop after *limit*; either way no query sorts 40,000 rows."""
    hits = session.execute(
        text("SELECT count(*) FROM (SELECT rowid FROM person_fts WHERE person_fts MATCH :m LIMIT :cap)"),
        {"m": expr, "cap": DENSE + 1},
    ).scalar_one()
    if hits == 0:
        return []
    if year_sql:  # one birth year is ~1% of a commune: start from it and sort what is left
        hint = "INDEXED BY ix_person_birth_year "
    else:
        hint = "INDEXED BY ix_person_sort_key " if hits > DENSE else ""
    sql = (
        f"SELECT p.id FROM person p {hint}WHERE p.rowid IN (SELECT rowid FROM person_fts WHERE person_fts "
        f"MATCH :m){year_sql} ORDER BY p.sort_key LIMIT :lim"
    )
    return list(session.execute(text(sql), {**params, "m": expr, "lim": limit}).scalars())


def _exact_ids(session: Session, token: str, year_sql: str, params: dict, limit: int) -> list[str]:
    """An exact personal ID, old ID, phone or insurance number (found through the index's ids column)."""
    sql = (
        f"SELECT p.id FROM person p WHERE p.rowid IN (SELECT rowid FROM person_fts WHERE person_fts MATCH :m) "
        f"AND (p.personal_id = :t OR p.old_id = :t OR p.phone = :t OR p.insurance_no = :u){year_sql} "
        "ORDER BY p.sort_key LIMIT :lim"
    )
    return list(
        session.execute(
            text(sql),
            {**params, "m": f"ids : {_fts_quote(token)}", "t": token, "u": token.upper(), "lim": limit},
        ).scalars()
    )


def search_ids(
    session: Session, query: str, limit: int = 50, birth_year: int | None = None, *, today: date
) -> list[str]:
    """Person ids matching *query*, best first (see the module docstring for the ranking). *today*: the
    session clock's date, which bounds a birth year in the query."""
    parsed = parse_query(query, today)
    if birth_year is not None:
        parsed.birth_year = birth_year
    if parsed.empty or limit <= 0:
        return []
    year_sql = " AND p.birth_year = :year" if parsed.birth_year is not None else ""
    params: dict = {"year": parsed.birth_year}
    found: dict[str, None] = {}  # insertion-ordered set

    def add(ids: Iterable[str]) -> None:
        for pid in ids:
            found.setdefault(pid)

    if parsed.ids and not parsed.words:
        add(_exact_ids(session, parsed.ids[0], year_sql, params, limit))
    if parsed.words and not parsed.ids:
        add(
            session.execute(
                text(
                    f"SELECT p.id FROM person p WHERE p.rowid IN (SELECT rowid FROM person_fts WHERE person_fts MATCH :m) "
                    f"AND p.name_fold = :n{year_sql} ORDER BY p.sort_key LIMIT :lim"
                ),
                {
                    **params,
                    "m": match_expression(parsed, prefix=False),
                    "n": " ".join(parsed.words),
                    "lim": limit,
                },
            ).scalars()
        )
    if parsed.words or parsed.ids:
        for prefix in (False, True):  # whole words first, then word prefixes
            if len(found) >= limit:
                break
            add(_fts_tier(session, match_expression(parsed, prefix), year_sql, params, limit))
    else:  # only a birth year
        add(
            session.execute(
                text("SELECT p.id FROM person p WHERE p.birth_year = :year ORDER BY p.sort_key LIMIT :lim"),
                {**params, "lim": limit},
            ).scalars()
        )
    return list(found)[:limit]


def load_rows(session: Session, ids: list[str]) -> list[dict]:
    """The list-shaped JSON of the given people, in the given order, with their priority flags."""
    if not ids:
        return []
    marks = ", ".join(f":i{n}" for n in range(len(ids)))
    params = {f"i{n}": v for n, v in enumerate(ids)}
    rows = {
        r.id: r
        for r in session.execute(text(f"SELECT {_COLUMNS} FROM person p WHERE p.id IN ({marks})"), params)
    }
    flags: dict[str, list[str]] = {}
    for pid, flag in session.execute(
        text(f"SELECT person_id, flag FROM person_flag WHERE person_id IN ({marks}) ORDER BY flag"), params
    ):
        flags.setdefault(pid, []).append(flag)
    out = []
    for pid in ids:
        r = rows.get(pid)
        if r is None:
            continue
        dob = r.birth_date
        out.append(
            {
                "id": r.id,
                "personal_id": r.personal_id,
                "old_id": r.old_id,
                "name": r.full_name,
                "dob": dob.isoformat() if hasattr(dob, "isoformat") else dob,
                "birth_year": r.birth_year,
                "sex": r.sex,
                "hamlet": r.hamlet,
                "phone": r.phone,
                "insurance_no": r.insurance_no,
                "groups": [r.target_group] if r.target_group else [],
                "flags": flags.get(pid, []),
            }
        )
    return out


_TRIGGER_INSERT = re.compile(
    r"INSERT\s+INTO\s+person_fts\s*\(([^)]*)\)\s*VALUES\s*\((.*)\)\s*;\s*END\s*$", re.IGNORECASE | re.DOTALL
)


@contextlib.contextmanager
def index_in_bulk(session: Session) -> Iterator[None]:
    """Index the people inserted inside this block in one statement instead of row by row.

    Inside the caller's transaction the insert trigger of the search index is dropped, the new rows are indexed
    with the trigger's own expression in one INSERT … SELECT, and the trigger is put back: FTS5 indexes a batch
    about twice as fast as single rows. DDL is transactional in SQLite, so a failure rolls all of it back.
    """
    trigger: str = (
        session.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'person_fts_insert'")
        ).scalar()
        or ""
    )
    match = _TRIGGER_INSERT.search(trigger)
    if match is None:  # an index defined differently: let the trigger do its work
        yield
        return
    columns, values = match.group(1), match.group(2).replace("new.", "person.")
    top = session.execute(text("SELECT coalesce(max(rowid), 0) FROM person")).scalar()
    session.execute(text("DROP TRIGGER person_fts_insert"))
    yield
    session.execute(
        text(f"INSERT INTO person_fts ({columns}) SELECT {values} FROM person WHERE rowid > :top"),
        {"top": top},
    )
    session.execute(text(trigger))
