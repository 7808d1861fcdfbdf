"""Identify or register a person from a scanned CCCD QR payload.

Match on the personal ID, then the old ID, then the folded name and date of birth. A known person whose card
disagrees with the record, or a card with warnings, needs a person to confirm (field by field in the app; the
card's values with ``accept``). A new person is registered from the card. Never two people with one personal
ID. The raw payload is stored only inside the encrypted database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from ksk_desktop.cccd import CccdCard, parse_cccd
from ksk_desktop.db.models import CccdScan
from ksk_desktop.ids import new_id
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import fold

# card field → (person field, label)
COMPARED = {
    "name": ("full_name", "Họ và tên"),
    "dob": ("birth_date", "Ngày sinh"),
    "sex": ("sex", "Giới tính"),
    "old_id": ("old_id", "Số CMND"),
    "address": ("permanent_address", "Nơi thường trú"),
    "id": ("personal_id", "Số định danh"),
}


@dataclass
class Registration:
    status: str  # existing | created | needs_confirmation
    person_id: str | None
    matched_by: str | None = None
    differences: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    card: dict = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    suggestion: dict | None = None

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "person_id": self.person_id,
            "matched_by": self.matched_by,
            "differences": self.differences,
            "warnings": self.warnings,
            "applied": self.applied,
            "card": self.card,
            "suggestion": self.suggestion,
        }


def find_match(ctx: StationSession, card: CccdCard) -> tuple[str | None, str | None]:
    """(person id, how it matched) — personal ID, then old ID, then folded name + date of birth."""
    with ctx.read() as s:
        pid = s.execute(text("SELECT id FROM person WHERE personal_id = :p"), {"p": card.id}).scalar()
        if pid:
            return pid, "personal_id"
        if card.old_id:
            rows = (
                s.execute(
                    text(
                        "SELECT id FROM person WHERE old_id = :o AND (personal_id IS NULL OR personal_id = :p)"
                    ),
                    {"o": card.old_id, "p": card.id},
                )
                .scalars()
                .all()
            )
            if len(rows) == 1:
                return rows[0], "old_id"
        rows = (
            s.execute(
                text(
                    "SELECT id FROM person WHERE name_fold = :n AND birth_date = :d AND personal_id IS NULL"
                ),
                {"n": fold(card.name), "d": card.dob.isoformat()},
            )
            .scalars()
            .all()
        )
        if len(rows) == 1:
            return rows[0], "name_dob"
    return None, None


def differences(stored: persons.PersonRecord, card: CccdCard) -> dict:
    """Fields where the card and the record disagree: {field: {"label", "card", "stored"}}."""
    card_values = {
        "name": card.name,
        "dob": card.dob.isoformat(),
        "sex": card.sex,
        "old_id": card.old_id,
        "address": card.address,
        "id": card.id,
    }
    stored_values: dict[str, str | None] = {
        "name": stored.name,
        "dob": stored.dob,
        "sex": stored.sex,
        "old_id": stored.old_id,
        "address": stored.permanent_address,
        "id": stored.personal_id,
    }
    out: dict[str, dict[str, str | None]] = {}
    for key, (_field, label) in COMPARED.items():
        c, s = card_values[key], stored_values[key]
        if c in (None, "") or c == s:
            continue
        if key == "dob" and s is None and stored.birth_year == card.dob.year:
            out[key] = {"label": label, "card": c, "stored": str(stored.birth_year)}
            continue
        out[key] = {"label": label, "card": c, "stored": s}
    return out


def _changes_from_card(card: CccdCard, keys: list[str]) -> dict:
    values = {
        "name": card.name,
        "dob": card.dob,
        "sex": card.sex,
        "old_id": card.old_id,
        "address": card.address,
        "id": card.id,
    }
    return {COMPARED[k][0]: values[k] for k in keys}


def _keep_scan(ctx: StationSession, raw: str, person_id: str | None, outcome: str) -> None:
    with ctx.write() as s:
        scan = CccdScan(
            id=new_id(),
            person_id=person_id,
            scanned_by=ctx.user.username,
            scanned_at=ctx.clock.utcnow(),
            raw=raw,
            outcome=outcome,
        )
        s.add(scan)
        ctx.audit(s, "cccd.scan", "person", person_id, {"scan": scan.id, "outcome": outcome})


def register(
    ctx: StationSession,
    payload: str,
    *,
    accept: bool = False,
    accept_fields: list[str] | None = None,
    group: str | None = None,
    flags: list[str] | None = None,
    hamlet: str | None = None,
    commune_code: str | None = None,
    create_new: bool = True,
) -> Registration:
    """Identify or register the card's holder. ``accept`` takes every card value (and confirms warnings);
    ``accept_fields`` takes only the named ones (field-by-field choice). ``create_new=False`` registers nobody
    new: an unknown card comes back as ``needs_confirmation`` with the suggestion, for the registration form
    (the app shows it prefilled, the person picks the hamlet, then registers with ``accept``)."""
    ctx.require(Perm.PERSON_WRITE)
    # raises InvalidCccdPayload: nothing is stored for an unreadable scan
    card = parse_cccd(payload, today=ctx.clock.today())
    person_id, matched_by = find_match(ctx, card)
    result = Registration(
        "needs_confirmation", person_id, matched_by, warnings=list(card.warnings), card=card.to_json()
    )
    if person_id is not None:
        stored = persons.get_person(ctx, person_id)
        result.differences = differences(stored, card)
        take = (
            list(result.differences)
            if accept
            else [k for k in (accept_fields or []) if k in result.differences]
        )
        if take:
            persons.update_person(
                ctx,
                person_id,
                _changes_from_card(card, take),
                source="cccd",
                expected_version=stored.version,
            )
            result.applied = take
        pending = [k for k in result.differences if k not in take]
        result.status = "needs_confirmation" if (pending and not accept) else "existing"
        _keep_scan(ctx, payload, person_id, "updated" if take else result.status)
        return result
    suggestion = persons.suggest_groups(card.dob, card.dob.year, ctx.clock.today())
    result.suggestion = suggestion
    if (card.warnings or not create_new) and not accept:
        _keep_scan(ctx, payload, None, "needs_confirmation")
        return result  # a person looks at the card (and its warnings) before anyone is registered
    created = persons.create_person(
        ctx,
        persons.PersonInput(
            full_name=card.name,
            personal_id=card.id,
            old_id=card.old_id,
            birth_date=card.dob,
            sex=card.sex,
            permanent_address=card.address,
            current_address=card.address,
            commune_code=commune_code,  # None: the station's commune
            hamlet=hamlet,
            target_group=group or suggestion["target_group"],
            flags=flags if flags is not None else suggestion["flags"],
        ),
    )
    result.status, result.person_id = "created", created.id
    _keep_scan(ctx, payload, created.id, "created")
    return result


def hamlet_in_address(address: str | None, known: list[str]) -> str | None:
    """The one hamlet of *known* (the station's) that the card's *address* names as one of its parts ("Số 5,
    Thôn Đông, Xã …" names "Thôn Đông"; ignoring case and marks), else None — never a guess between two."""
    if not address:
        return None
    parts = [fold(p) for p in address.split(",") if p.strip()]
    found = {
        hamlet
        for hamlet in known
        if (h := fold(hamlet)) and any(part == h or part.endswith(" " + h) for part in parts)
    }
    if len(found) > 1:  # "Đông" and "Thôn Đông" both end the part "Thôn Đông": the one it names whole
        found = {hamlet for hamlet in found if fold(hamlet) in parts}
    return found.pop() if len(found) == 1 else None
