"""Exam records: open or create a draft, save a section (by the role that fills it, with an optimistic version
check), read an exam (audited), list exams, import one from JSON.

Drafts are saved in place; a signed version is never changed (see ``signing`` and ``amendments``).

What the entry screen works with is an ``ExamState`` (a frozen dataclass, ``ksk_desktop.shapes``). Its
``document`` stays a dict: the exam document is stored, signed and sent as JSON, and is read field by field
through its form (``exams.forms``), not through a fixed type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop.dates import age_on
from ksk_desktop.db.models import Appointment, Campaign, ExamVersion, Person
from ksk_desktop.errors import InvalidInput, NotFound, PermissionDenied, Remedy
from ksk_desktop.exams import document, plan_rules, validation
from ksk_desktop.exams.errors import ExamNotFound, ExamSigned, VersionConflict
from ksk_desktop.exams.forms import FormDef, canonical_form_id, default_form, load_form
from ksk_desktop.ids import new_id
from ksk_desktop.security.roles import PERM_LABELS, Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station.session import StationSession

STATUSES = ("draft", "signed")


# -- loading --------------------------------------------------------------------------------------------------
def latest(s: Session, exam_id: str) -> ExamVersion:
    row = s.scalars(
        select(ExamVersion)
        .where(ExamVersion.exam_id == exam_id)
        .order_by(ExamVersion.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise ExamNotFound(f"Không tìm thấy phiếu khám có mã {exam_id}.")
    return row


def version_row(s: Session, exam_id: str, version: int | None) -> ExamVersion:
    if version is None:
        return latest(s, exam_id)
    row = s.get(ExamVersion, (exam_id, version))
    if row is None:
        raise ExamNotFound(f"Phiếu khám {exam_id} không có phiên bản {version}.")
    return row


def person_of(s: Session, person_id: str) -> Person:
    person = s.get(Person, person_id)
    if person is None:
        raise NotFound(f"Không tìm thấy người có mã {person_id}.")
    return person


# -- the state the entry screen works with ----------------------------------------------------------------------
def recompute(doc: dict, form: FormDef, person: Person) -> str | None:
    """Refresh the assessment and the class in *doc*; returns the reason it cannot be classified, if any."""
    assessment, error = validation.assess(doc, form, person.sex, person.birth_date, person.birth_year)
    doc["assessment"] = assessment
    doc["health_class"] = validation.health_class(doc, form, error)
    return error


def _visible(ctx: StationSession, doc: dict, form: FormDef) -> dict:
    """The document as this user may see it: without HEALTH_READ (the vitals nurse), only the values of the
    sections the user fills, and no assessment or conclusion."""
    if ctx.can(Perm.HEALTH_READ):
        return doc
    own = {f.key for s in form.sections if ctx.can(s.perm) for f in s.fields}
    out = {
        k: v
        for k, v in doc.items()
        if k
        not in (
            "assessment",
            "diagnoses",
            "conclusion",
            "advice",
            "health_class",
            "health_class_reason",
            "referrals",
            "followups",
        )
    }
    out["values"] = {k: v for k, v in doc["values"].items() if k in own}
    return out


@dataclass(frozen=True)
class ExamState(Shape):
    """An exam version as the entry screen works with it."""

    document: dict[str, Any]  # as this user may see it (``_visible``)
    edit_seq: int  # every save counts one
    section_versions: dict[str, int]  # section → saves of it: the expected_version of the next save
    missing_required: list[dict[str, Any]]  # {"key", "label", "section", "section_title"} still empty
    unconfirmed: list[
        dict[str, Any]
    ]  # {"field", "label", "value", "message"} of implausible values not confirmed
    errors: list[str]  # what else blocks signing
    can_sign: bool
    open_indices: list[
        str
    ]  # QĐ 1613 indices still to class (their names): while any is, the class is not known


_UNKNOWN = "?"


def state(
    ctx: StationSession, row: ExamVersion, doc: dict, person: Person, error: str | None = _UNKNOWN
) -> ExamState:
    """The state of *row* with its document *doc*. *error* is what ``recompute`` returned, when the caller just
    ran it."""
    form = load_form(row.form, row.form_version)
    if error is _UNKNOWN:
        error = None
        if doc["status"] == "draft":
            _, error = validation.assess(doc, form, person.sex, person.birth_date, person.birth_year)
    if doc["status"] == "draft":  # a draft saved under older rules shows its class as they stand now
        doc = {**doc, "health_class": validation.health_class(doc, form, error)}
    todo = (
        validation.problems(doc, form, person.sex, error)
        if doc["status"] == "draft"
        else {"missing_required": [], "unconfirmed": [], "errors": []}
    )
    return ExamState(
        document=_visible(ctx, doc, form),
        edit_seq=row.edit_seq,
        section_versions=json.loads(row.section_versions),
        missing_required=todo["missing_required"],
        unconfirmed=todo["unconfirmed"],
        errors=todo["errors"],
        can_sign=doc["status"] == "draft" and not any(todo.values()) and ctx.can(Perm.EXAM_SIGN),
        open_indices=validation.open_indices(doc, form)
        if doc["status"] == "draft" and ctx.can(Perm.HEALTH_READ)
        else [],
    )


def _require_entry(ctx: StationSession) -> None:
    if not (ctx.can(Perm.EXAM_WRITE) or ctx.can(Perm.VITALS_WRITE)):
        ctx.require(Perm.EXAM_WRITE)


def _form_for(s: Session, person: Person, appointment_id: str | None, exam_date: date) -> str:
    if appointment_id:
        appt = s.get(Appointment, appointment_id)
        if appt is None:
            raise NotFound(f"Không tìm thấy lịch hẹn {appointment_id}.")
        if appt.person_id != person.id:
            raise InvalidInput("Lịch hẹn không phải của người này.")
        campaign = s.get(Campaign, appt.campaign_id)
        forms = json.loads(campaign.exam_forms) if campaign else {}
        if person.target_group in forms:
            return canonical_form_id(forms[person.target_group])
    return default_form(age_on(exam_date, person.birth_date, person.birth_year))


def insert_version(
    ctx: StationSession, s: Session, doc: dict, *, section_versions: dict | None = None, edit_seq: int = 1
) -> ExamVersion:
    now = ctx.clock.utcnow()
    row = ExamVersion(
        exam_id=doc["id"],
        version=doc["version"],
        person_id=doc["person_id"],
        appointment_id=doc["appointment_id"],
        form=doc["form"],
        form_version=doc["form_version"],
        exam_date=date.fromisoformat(doc["exam_date"]),
        status=doc["status"],
        edit_seq=edit_seq,
        section_versions=json.dumps(section_versions or {}, sort_keys=True),
        health_class=doc["health_class"],
        document=document.dumps(doc),
        amends_version=doc["amends_version"],
        amendment_reason=doc["amendment_reason"],
        created_by=ctx.user.username,
        created_at=now,
        updated_by=ctx.user.username,
        updated_at=now,
    )
    s.add(row)
    return row


def open_draft(
    ctx: StationSession,
    person_id: str,
    *,
    appointment_id: str | None = None,
    form: str | None = None,
    exam_date: date | None = None,
) -> ExamState:
    """The person's draft exam of *exam_date* (today by default), created if there is none; returns its state."""
    _require_entry(ctx)
    exam_date = exam_date or ctx.clock.today()
    with ctx.write() as s:
        person = person_of(s, person_id)
        row = s.scalars(
            select(ExamVersion)
            .where(
                ExamVersion.person_id == person_id,
                ExamVersion.exam_date == exam_date,
                ExamVersion.status == "draft",
            )
            .order_by(ExamVersion.updated_at.desc())
            .limit(1)
        ).first()
        if row is not None:
            ctx.audit(s, "exam.read", "exam", row.exam_id, {"version": row.version, "draft": True})
            return state(ctx, row, document.loads(row.document), person)
        form_def = load_form(form or _form_for(s, person, appointment_id, exam_date))
        doc = document.new_document(
            new_id(), person.id, appointment_id, form_def.form, form_def.form_version, exam_date
        )
        error = recompute(doc, form_def, person)
        row = insert_version(ctx, s, doc)
        ctx.audit(
            s,
            "exam.save",
            "exam",
            doc["id"],
            {"version": 1, "created": True, "form": form_def.form, "person": person.id},
        )
        return state(ctx, row, doc, person, error)


def load(ctx: StationSession, exam_id: str, version: int | None = None) -> ExamState:
    """The state of an exam version (the newest by default), for the entry screen; the read is audited."""
    if not ctx.can(Perm.HEALTH_READ):
        _require_entry(ctx)
    with ctx.write() as s:
        row = version_row(s, exam_id, version)
        ctx.audit(s, "exam.read", "exam", exam_id, {"version": row.version})
        return state(ctx, row, document.loads(row.document), person_of(s, row.person_id))


def get_exam(ctx: StationSession, exam_id: str, version: int | None = None) -> dict:
    """The exam document (the newest version by default); needs HEALTH_READ; audited."""
    ctx.require(Perm.HEALTH_READ)
    with ctx.write() as s:
        row = version_row(s, exam_id, version)
        ctx.audit(s, "exam.read", "exam", exam_id, {"version": row.version})
        return document.loads(row.document)


# -- saving -----------------------------------------------------------------------------------------------------
def apply_values(
    ctx: StationSession,
    doc: dict,
    form: FormDef,
    values: dict[str, Any],
    *,
    section: str | None = None,
    check_perm: bool = True,
) -> list[str]:
    """Check and put *values* into *doc* (the ``values`` map or the conclusion's top-level keys); returns the keys
    changed. With *section*, every key must belong to it."""
    changed = []
    for key, raw in values.items():
        f = form.field(key)
        if section is not None and f.section != section:
            raise InvalidInput(f"Trường {key!r} thuộc phần {f.section}, không thuộc phần {section}.")
        sec = form.section(f.section)
        if check_perm and not ctx.can(sec.perm):
            raise PermissionDenied(
                f"Người dùng {ctx.user.username} ({ctx.user.role_label}) không có quyền "
                f"{PERM_LABELS[sec.perm]}: không nhập được phần “{sec.title}”."
            )
        value = validation.coerce(f, raw, ctx.paths.root)
        if f.document_key:
            if doc.get(key) != value:
                doc[key] = value if value is not None else ("" if key in ("conclusion", "advice") else None)
                changed.append(key)
        elif doc["values"].get(key) != value:
            if value is None:
                doc["values"].pop(key, None)
            else:
                doc["values"][key] = value
            changed.append(key)
    return changed


def apply_confirmations(doc: dict, form: FormDef, confirm: list[str] | tuple[str, ...]) -> list[str]:
    added = []
    for key in confirm:
        form.field(key)
        if key not in doc["confirmed"]:
            doc["confirmed"].append(key)
            added.append(key)
    doc["confirmed"].sort()
    return added


def editable_draft(s: Session, exam_id: str) -> ExamVersion:
    row = latest(s, exam_id)
    if row.status != "draft":
        raise ExamSigned(
            f"Phiếu khám {exam_id} đã ký (phiên bản {row.version}), không sửa được: "
            "muốn sửa thì lập phiếu điều chỉnh có ghi lý do.",
            remedy=Remedy.AMEND_EXAM,
        )
    return row


def save_section(
    ctx: StationSession,
    exam_id: str,
    section: str,
    values: dict[str, Any],
    *,
    expected_version: int | None,
    confirm: list[str] | tuple[str, ...] = (),
) -> ExamState:
    """Save part of a draft: *values* of one *section* (only the keys given; ``None`` clears a field), as the
    logged-in user, who must hold the section's role. *expected_version* is the section's version the caller last
    saw (``section_versions[section]``, 0 before the first save): if someone saved that section since, this raises
    ``VersionConflict`` and nothing is written. Sections saved by others in between do not conflict.
    *confirm* lists fields whose implausible value the user confirms. Returns the new state."""
    _require_entry(ctx)
    with ctx.write() as s:
        row = editable_draft(s, exam_id)
        form = load_form(row.form, row.form_version)
        sec = form.section(section)
        ctx.require(sec.perm)
        versions = json.loads(row.section_versions)
        current = versions.get(section, 0)
        if expected_version is not None and expected_version != current:
            raise VersionConflict(
                f"Phần “{sec.title}” của phiếu khám vừa được {row.updated_by} lưu (phiên bản {current}, bạn đang sửa "
                f"phiên bản {expected_version}): tải lại phiếu rồi nhập lại."
            )
        doc = document.loads(row.document)
        changed = apply_values(ctx, doc, form, values, section=section)
        confirmed = apply_confirmations(doc, form, confirm)
        person = person_of(s, row.person_id)
        error = recompute(doc, form, person)
        versions[section] = current + 1
        row.section_versions = json.dumps(versions, sort_keys=True)
        row.edit_seq += 1
        row.document = document.dumps(doc)
        row.health_class = doc["health_class"]
        row.updated_by, row.updated_at = ctx.user.username, ctx.clock.utcnow()
        ctx.audit(
            s,
            "exam.save",
            "exam",
            exam_id,
            {"version": row.version, "section": section, "fields": changed, "confirmed": confirmed},
        )
        return state(ctx, row, doc, person, error)


def import_exam(ctx: StationSession, data: dict) -> dict:
    """A new draft from an exam document (at least ``person_id``, ``form``, ``exam_date``, ``values``; also
    ``appointment_id``, ``confirmed``, ``diagnoses``, ``conclusion``, ``advice``, ``health_class``,
    ``health_class_reason``, ``referrals``, ``followups``). Every value is checked as if typed. Returns the document."""
    ctx.require(Perm.EXAM_WRITE)
    if not isinstance(data, dict):
        raise InvalidInput("Tệp phiếu khám phải là một đối tượng JSON.")
    for key in ("person_id", "form", "exam_date"):
        if not data.get(key):
            raise InvalidInput(f"Phiếu khám thiếu trường {key}.")
    values = data.get("values") or {}
    if not isinstance(values, dict):
        raise InvalidInput("values phải là một đối tượng {tên trường: giá trị}.")
    try:
        exam_date = date.fromisoformat(str(data["exam_date"]))
    except ValueError:
        raise InvalidInput(f"exam_date phải có dạng YYYY-MM-DD, không phải {data['exam_date']!r}.") from None
    form = load_form(data["form"], data.get("form_version"))
    with ctx.write() as s:
        person = person_of(s, data["person_id"])
        if data.get("appointment_id"):
            _form_for(s, person, data["appointment_id"], exam_date)  # checks the appointment is this person's
        doc = document.new_document(
            new_id(), person.id, data.get("appointment_id"), form.form, form.form_version, exam_date
        )
        top = {k: data[k] for k in document.SECTION_DOCUMENT_KEYS if data.get(k) not in (None, "", [])}
        if data.get("health_class") is not None:
            top["conclusion.health_class"] = data["health_class"]
        changed = apply_values(ctx, doc, form, {**values, **top}, check_perm=False)
        apply_confirmations(doc, form, data.get("confirmed") or [])
        plan_rules.apply_plan(doc, data.get("referrals") or [], data.get("followups") or [])
        recompute(doc, form, person)
        insert_version(ctx, s, doc)
        ctx.audit(
            s,
            "exam.save",
            "exam",
            doc["id"],
            {
                "version": 1,
                "created": True,
                "imported": True,
                "form": form.form,
                "person": person.id,
                "fields": changed,
            },
        )
        return doc


# -- lists ------------------------------------------------------------------------------------------------------
def list_exams(
    ctx: StationSession,
    *,
    person_id: str | None = None,
    exam_date: date | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> list[dict]:
    """Summaries of the newest version of each exam: id, version, person_id, full_name, exam_date, form, status,
    health_class, signed_by. The list is audited (the ids it showed, no values)."""
    ctx.require(Perm.HEALTH_READ)
    if status is not None and status not in STATUSES:
        raise InvalidInput("Trạng thái phải là draft (bản nháp) hoặc signed (đã ký).")
    newest = (
        select(ExamVersion.exam_id, func.max(ExamVersion.version).label("v"))
        .group_by(ExamVersion.exam_id)
        .subquery()
    )
    q = (
        select(ExamVersion, Person.full_name)
        .join(newest, (newest.c.exam_id == ExamVersion.exam_id) & (newest.c.v == ExamVersion.version))
        .join(Person, Person.id == ExamVersion.person_id)
    )
    if person_id:
        q = q.where(ExamVersion.person_id == person_id)
    if exam_date:
        q = q.where(ExamVersion.exam_date == exam_date)
    if status:
        q = q.where(ExamVersion.status == status)
    q = q.order_by(ExamVersion.exam_date.desc(), Person.sort_key, ExamVersion.exam_id).limit(limit)
    with ctx.write() as s:
        rows = [
            {
                "id": r.exam_id,
                "version": r.version,
                "person_id": r.person_id,
                "full_name": name,
                "exam_date": r.exam_date.isoformat(),
                "form": r.form,
                "status": r.status,
                "health_class": r.health_class,
                "signed_by": r.signed_by,
            }
            for r, name in s.execute(q)
        ]
        ctx.audit(s, "exam.read", "exam", None, {"list": len(rows), "ids": [r["id"] for r in rows[:200]]})
        return rows
