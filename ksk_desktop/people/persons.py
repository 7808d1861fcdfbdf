"""People of the commune: validation, storage with a folded search key, audit and outbox on every change.

Search, import, the person card and merging belong to the citizen-list work; this module holds the record
itself and the rules every writer must follow.

A person is read as a ``PersonRecord`` (a frozen dataclass, ``ksk_desktop.shapes``): the person card and the
command line read its attributes; its ``to_json()`` is the person's JSON everywhere — ``ksk person show
--json``, the audit log's old and new values, the sync payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.cccd.personal_id import is_personal_id, normalise_personal_id
from ksk_desktop.dates import age_on
from ksk_desktop.db.bulk import insert_many
from ksk_desktop.db.models import Person, PersonFlag, Station
from ksk_desktop.errors import DuplicatePerson, InvalidInput, NotFound
from ksk_desktop.ids import new_ids
from ksk_desktop.redact import tail
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station import audit
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import fold, nfc, nfkc, sort_key

TARGET_GROUPS = ("a", "b", "c", "d", "đ")
BULK_INDEX_ROWS = 500  # from this many people in one write, the search index is built in one statement


def target_group_labels() -> dict[str, str]:
    """Vietnamese labels of the target groups, from resources/catalogs/target-groups.json (editable data)."""
    import json

    from ksk_desktop.resources import read_text

    return json.loads(read_text("catalogs", "target-groups.json"))["groups"]


#: How the stored sex codes read, on screen, on paper and in exports.
SEX_LABELS = {"M": "Nam", "F": "Nữ"}
_SEX_SPELLINGS = {
    "nam": "M",
    "m": "M",
    "male": "M",
    "trai": "M",
    "nu": "F",
    "f": "F",
    "female": "F",
    "gai": "F",
}


def sex_label(code: str | None) -> str:
    """The label of a stored sex code ("Nam", "Nữ"); "" when it is not known."""
    return SEX_LABELS.get(code or "", "")


def sex_code(text: str) -> str | None:
    """The stored code ("M"/"F") of the usual spellings (Nam/Nữ with or without marks, M/F, male/female,
    trai/gái); None when *text* is none of them."""
    return _SEX_SPELLINGS.get(fold(text))


FLAGS = ("elderly", "merit", "poor", "near_poor", "disabled", "chronic", "remote_area")
_DIGITS9 = re.compile(r"[0-9]{9}")  # ASCII only, matched in full: \d takes any script's digits, $ a final \n
_PHONE = re.compile(r"0[0-9]{9,10}")
_PHONE_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass
class PersonInput:
    full_name: str
    personal_id: str | None = None
    old_id: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    sex: str | None = None
    permanent_address: str | None = None
    current_address: str | None = None
    commune_code: str | None = None
    hamlet: str | None = None
    phone: str | None = None
    insurance_no: str | None = None
    target_group: str | None = None
    flags: list[str] = field(default_factory=list)
    guardian_name: str | None = None
    guardian_phone: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> PersonInput:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _normalise(value: str | None) -> str | None:
    if not value:
        return None
    return nfc(value if type(value) is str else str(value)) or None


def _as_is(value: str | None) -> str | None:
    return value or None


def validate(data: PersonInput, today: date, *, normalised: bool = False) -> PersonInput:
    """Return a normalised copy (NFC, trimmed) or raise InvalidInput naming the field. ``normalised``: the
    caller already made every text field NFC and trimmed (the importer does, cell by cell), so only the rules
    are checked. *today* (the session clock's, the date in Vietnam) bounds the date of birth."""
    _blank = _as_is if normalised else _normalise
    name = _blank(data.full_name)
    if not name or len(name) < 2:
        raise InvalidInput("Họ và tên không được để trống.")
    # Identifiers in NFKC first (a full-width ０３１… is the same person as 031…), then ASCII digits only.
    pid = _blank(data.personal_id)
    if pid is not None:
        pid = normalise_personal_id(pid)
        if not is_personal_id(pid):
            raise InvalidInput(f"Số định danh cá nhân phải gồm đúng 12 chữ số (nhận được {len(pid)} ký tự).")
    old = _blank(data.old_id)
    if old is not None:
        old = nfkc(old).strip()
        if not _DIGITS9.fullmatch(old):
            raise InvalidInput("Số CMND cũ phải gồm đúng 9 chữ số.")
    birth_year = data.birth_year
    if data.birth_date is not None:
        if data.birth_date > today:
            raise InvalidInput("Ngày sinh không được sau ngày hôm nay.")
        birth_year = data.birth_date.year
    if birth_year is not None and not (1880 <= birth_year <= today.year):
        raise InvalidInput(f"Năm sinh {birth_year} không hợp lệ.")
    sex = data.sex
    if sex is not None and sex not in ("M", "F"):
        raise InvalidInput("Giới tính phải là Nam (M) hoặc Nữ (F).")
    phone = _blank(data.phone)
    if phone is not None:
        phone = _PHONE_SEPARATORS.sub("", nfkc(phone))
        if phone.startswith("+84"):
            phone = "0" + phone[3:]
        if not _PHONE.fullmatch(phone):
            raise InvalidInput(
                f"Số điện thoại {tail(data.phone)} không hợp lệ (cần 10 hoặc 11 chữ số, bắt đầu bằng 0)."
            )
    group = _blank(data.target_group)
    if group is not None:
        group = group.lower()
        if group not in TARGET_GROUPS:
            raise InvalidInput("Nhóm đối tượng phải là một trong a, b, c, d, đ.")
    unknown = sorted(set(data.flags) - set(FLAGS))
    if unknown:
        raise InvalidInput(f"Diện ưu tiên không hợp lệ: {', '.join(unknown)}.")
    return PersonInput(
        full_name=name,
        personal_id=pid,
        old_id=old,
        birth_date=data.birth_date,
        birth_year=birth_year,
        sex=sex,
        permanent_address=_blank(data.permanent_address),
        current_address=_blank(data.current_address),
        commune_code=_blank(data.commune_code),
        hamlet=_blank(data.hamlet),
        phone=phone,
        insurance_no=nfkc(_blank(data.insurance_no) or "").upper() or None,
        target_group=group,
        flags=sorted(set(data.flags)),
        guardian_name=_blank(data.guardian_name),
        guardian_phone=_blank(data.guardian_phone),
    )


_PAYLOAD_FIELDS = (
    ("id", "id"),
    ("personal_id", "personal_id"),
    ("old_id", "old_id"),
    ("name", "full_name"),
    ("birth_year", "birth_year"),
    ("sex", "sex"),
    ("permanent_address", "permanent_address"),
    ("current_address", "current_address"),
    ("commune_code", "commune_code"),
    ("hamlet", "hamlet"),
    ("phone", "phone"),
    ("insurance_no", "insurance_no"),
    ("target_group", "target_group"),
    ("guardian_name", "guardian_name"),
    ("guardian_phone", "guardian_phone"),
    ("version", "version"),
)


@dataclass(frozen=True)
class PersonRecord(Shape):
    """A person's record as read; the field order is the key order of the person's JSON."""

    id: str
    personal_id: str | None
    old_id: str | None
    name: str
    birth_year: int | None
    sex: str | None  # M or F
    permanent_address: str | None
    current_address: str | None
    commune_code: str | None
    hamlet: str | None
    phone: str | None
    insurance_no: str | None
    target_group: str | None
    guardian_name: str | None
    guardian_phone: str | None
    version: int
    dob: str | None  # ISO date
    flags: list[str]


def _payload(row: dict, flags: list[str]) -> PersonRecord:
    """A person (CLI output, audit values, outbox payload) from column values."""
    data = {key: row[col] for key, col in _PAYLOAD_FIELDS}
    dob = row["birth_date"]  # a date from the ORM, already ISO text from a raw SQL row
    data["dob"] = (dob.isoformat() if isinstance(dob, date) else str(dob)) if dob else None
    return PersonRecord(**data, flags=list(flags))


def record_of(person: Person) -> PersonRecord:
    row = {c.key: getattr(person, c.key) for c in Person.__table__.columns}
    return _payload(row, [f.flag for f in person.flags])


def to_json(person: Person) -> dict:
    """The person's JSON (the sync payload, audit values)."""
    return record_of(person).to_json()


def _row(data: PersonInput, now: datetime, person_id: str) -> dict:
    """Column values of a new person (the id made offline, without coordination: ksk_desktop.ids)."""
    return {
        "id": person_id,
        "personal_id": data.personal_id,
        "old_id": data.old_id,
        "full_name": data.full_name,
        "name_fold": fold(data.full_name),
        "sort_key": sort_key(data.full_name),
        "birth_date": data.birth_date,
        "birth_year": data.birth_year,
        "sex": data.sex,
        "permanent_address": data.permanent_address,
        "current_address": data.current_address,
        "commune_code": data.commune_code,
        "hamlet": data.hamlet,
        "phone": data.phone,
        "insurance_no": data.insurance_no,
        "target_group": data.target_group,
        "guardian_id": None,
        "guardian_name": data.guardian_name,
        "guardian_phone": data.guardian_phone,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


person_row = _row  # for the sync client, which inserts people pulled from the hub in bulk the same way


def station_commune(s: Session) -> str:
    """The commune a new person belongs to unless told otherwise: the station's own."""
    return s.execute(select(Station.commune_code)).scalar_one()


def default_commune(ctx: StationSession) -> str:
    """The commune code a new person gets when none is given (forms show it as their default)."""
    with ctx.read() as s:
        return station_commune(s)


def _ensure_unique(s: Session, personal_ids: list[str]) -> None:
    if not personal_ids:
        return
    seen: set[str] = set()
    for pid in personal_ids:
        if pid in seen:
            raise DuplicatePerson(f"Số định danh {tail(pid)} xuất hiện hai lần trong cùng một lần ghi.")
        seen.add(pid)
    for i in range(0, len(personal_ids), 500):
        chunk = personal_ids[i : i + 500]
        hit = s.scalar(select(Person.personal_id).where(Person.personal_id.in_(chunk)).limit(1))
        if hit:
            raise DuplicatePerson(f"Đã có người với số định danh {tail(hit)}; không tạo bản ghi trùng.")


def create_person(ctx: StationSession, data: PersonInput) -> PersonRecord:
    """Create one person (audited, queued for sync). Never two people with the same personal ID."""
    ctx.require(Perm.PERSON_WRITE)
    clean = validate(data, ctx.clock.today())
    with ctx.write() as s:
        (row,) = insert_rows(ctx, s, [clean], action="person.create")
    return _payload(row, clean.flags)


def create_many(ctx: StationSession, rows: list[PersonInput], *, action: str = "person.create_batch") -> int:
    """Create a batch of people in one transaction (all or none): one audit event lists their ids."""
    ctx.require(Perm.PERSON_WRITE)
    today = ctx.clock.today()
    clean = [validate(r, today) for r in rows]
    with ctx.write() as s:
        return len(insert_rows(ctx, s, clean, action=action))


def insert_rows(
    ctx: StationSession, s: Session, clean: list[PersonInput], *, action: str, ids_checked: bool = False
) -> list[dict]:
    """Insert validated people inside the caller's transaction, with their outbox items and audit event.
    Returns the rows' column values. ``ids_checked``: the caller already knows no personal ID is taken (the
    importer matched every row against the whole list); the unique index still guards it.

    Straight through the driver, not ORM objects: a 100,000-person import must not spend its time building
    objects.
    """
    now = ctx.clock.utcnow()
    if any(c.commune_code is None for c in clean):  # people registered here belong to the station's commune
        commune = station_commune(s)
        for c in clean:
            c.commune_code = c.commune_code or commune
    rows = [_row(c, now, i) for c, i in zip(clean, new_ids(len(clean)), strict=True)]
    if not ids_checked:
        _ensure_unique(s, [c.personal_id for c in clean if c.personal_id])
    if len(rows) >= BULK_INDEX_ROWS:
        from ksk_desktop.people.search import index_in_bulk

        with index_in_bulk(s):
            insert_many(s, Person.__table__, rows)
    else:
        insert_many(s, Person.__table__, rows)
    insert_many(
        s,
        PersonFlag.__table__,
        [{"person_id": r["id"], "flag": f} for r, c in zip(rows, clean, strict=True) for f in c.flags],
    )
    outbox.enqueue_many(s, "person", [(r["id"], None, 1) for r in rows])
    if len(rows) == 1:
        ctx.audit(s, action, "person", rows[0]["id"], {"new": _payload(rows[0], clean[0].flags).to_json()})
    else:
        ctx.audit(s, action, "person", None, {"count": len(rows), "ids": [r["id"] for r in rows]})
    return rows


def get_person(ctx: StationSession, person_id: str) -> PersonRecord:
    """Read one person's record; the read is audited."""
    ctx.require(Perm.PERSON_READ)
    with ctx.write() as s:
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound(f"Không tìm thấy người có mã {person_id}.")
        ctx.audit(s, "person.read", "person", person.id)
        return record_of(person)


def count_people(ctx: StationSession) -> int:
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(Person)) or 0


def search(
    ctx: StationSession, query: str, limit: int = 50, birth_year: int | None = None, record: bool = True
) -> list[dict]:
    """Find people by name without accents, ID (or its last digits), old ID, phone or insurance number.

    ``record`` writes one audit event for the search (the GUI's search-as-you-type leaves it off and records
    the person card that is then opened instead).
    """
    from ksk_desktop.people import search as finder

    ctx.require(Perm.PERSON_READ)
    if limit < 1 or limit > 1000:
        raise InvalidInput("Số kết quả tối đa phải từ 1 đến 1000.")
    with ctx.read() as s:
        rows = finder.load_rows(s, finder.search_ids(s, query, limit, birth_year, today=ctx.clock.today()))
    if record:
        with ctx.write() as s:
            ctx.audit(
                s,
                "person.search",
                "person",
                None,
                {"query": audit.typed_query(ctx, query), "year": birth_year, "results": len(rows)},
            )
    return rows


EDITABLE = (
    "full_name",
    "personal_id",
    "old_id",
    "birth_date",
    "birth_year",
    "sex",
    "permanent_address",
    "current_address",
    "hamlet",
    "phone",
    "insurance_no",
    "target_group",
    "guardian_name",
    "guardian_phone",
)


def update_person(
    ctx: StationSession,
    person_id: str,
    changes: dict,
    flags: list[str] | None = None,
    *,
    source: str = "card",
    expected_version: int | None = None,
) -> PersonRecord:
    """Change a person's record field by field (old and new values audited, queued for sync).

    *expected_version* guards against saving over an edit made meanwhile by someone else.
    """
    ctx.require(Perm.PERSON_WRITE)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"Không sửa được trường: {', '.join(unknown)}.")
    with ctx.write() as s:
        person = s.get(Person, person_id)
        if person is None:
            raise NotFound(f"Không tìm thấy người có mã {person_id}.")
        if expected_version is not None and person.version != expected_version:
            raise InvalidInput("Hồ sơ vừa được người khác sửa; hãy mở lại để xem thay đổi mới nhất.")
        unchanged = record_of(person)
        before = unchanged.to_json()
        merged = PersonInput(
            **{f: getattr(person, f) for f in EDITABLE}, flags=[f.flag for f in person.flags]
        )
        for key, value in changes.items():
            setattr(merged, key, value)
        if "birth_date" in changes and changes["birth_date"] is not None:
            merged.birth_year = None  # follows the new date
        if flags is not None:
            merged.flags = list(flags)
        clean = validate(merged, ctx.clock.today())
        if clean.personal_id and clean.personal_id != person.personal_id:
            _ensure_unique(s, [clean.personal_id])
        for f in EDITABLE:
            setattr(person, f, getattr(clean, f))
        person.name_fold, person.sort_key = fold(clean.full_name), sort_key(clean.full_name)
        if sorted(f.flag for f in person.flags) != clean.flags:
            person.flags = [PersonFlag(flag=f) for f in clean.flags]
        after = to_json(person)
        diff = {k: (before[k], after[k]) for k in after if k != "version" and before[k] != after[k]}
        if not diff:
            return unchanged
        person.version += 1
        person.updated_at = ctx.clock.utcnow()
        s.flush()
        changed = record_of(person)
        after = changed.to_json()
        ctx.audit(
            s,
            "person.update",
            "person",
            person.id,
            {
                "source": source,
                "old": {k: o for k, (o, _n) in diff.items()},
                "new": {k: n for k, (_o, n) in diff.items()},
            },
        )
        outbox.enqueue(s, "person", person.id, None, person.version)
        return changed


def suggest_groups(birth_date: date | None, birth_year: int | None, today: date) -> dict:
    """Target group and flags suggested from age (the person confirms): 60+ elderly, under 6 preschool,
    6–17 pupil. Returns {"age": int|None, "target_group": str|None, "flags": [...], "reason": str}."""
    age = age_on(today, birth_date, birth_year)
    if age is None:
        return {"age": None, "target_group": None, "flags": [], "reason": "chưa có ngày sinh"}
    if age >= 60:
        return {
            "age": age,
            "target_group": "a",
            "flags": ["elderly"],
            "reason": "người cao tuổi (từ 60 tuổi)",
        }
    if age < 6:
        return {"age": age, "target_group": "b", "flags": [], "reason": "trẻ em dưới 6 tuổi (mầm non)"}
    if age < 18:
        return {"age": age, "target_group": "b", "flags": [], "reason": "học sinh 6–17 tuổi"}
    return {
        "age": age,
        "target_group": None,
        "flags": [],
        "reason": "người trưởng thành: chọn theo nghề nghiệp",
    }
