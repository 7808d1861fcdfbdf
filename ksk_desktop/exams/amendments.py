"""Amendments: a signed exam is corrected by a new version that points to the one it amends, with a reason."""

from __future__ import annotations

import json
from typing import Any, Literal, overload

from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams import document
from ksk_desktop.exams.forms import load_form
from ksk_desktop.exams.plan_rules import apply_plan
from ksk_desktop.exams.records import (
    ExamState,
    apply_confirmations,
    apply_values,
    insert_version,
    latest,
    person_of,
    recompute,
    state,
)
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc


@overload
def amend(
    ctx: StationSession,
    exam_id: str,
    reason: str,
    changes: dict[str, Any],
    *,
    confirm: list[str] | tuple[str, ...] = (),
    sign: Literal[True] = True,
    password: str,
) -> dict[str, Any]: ...
@overload
def amend(
    ctx: StationSession,
    exam_id: str,
    reason: str,
    changes: dict[str, Any],
    *,
    confirm: list[str] | tuple[str, ...] = (),
    sign: Literal[False],
    password: str | None = None,
) -> ExamState: ...
def amend(
    ctx: StationSession,
    exam_id: str,
    reason: str,
    changes: dict[str, Any],
    *,
    confirm: list[str] | tuple[str, ...] = (),
    sign: bool = True,
    password: str | None = None,
) -> dict[str, Any] | ExamState:
    """Correct a signed exam: version n+1 with *changes* (field key → value, as in ``save_section``; also
    ``referrals``/``followups`` lists), ``amends_version`` n and the *reason*. Signed at once by default (the
    amending doctor signs it with the key their *password* opens); with ``sign=False`` it stays a draft to finish
    and sign later. Returns the document (``sign=True``) or the draft's state."""
    from ksk_desktop.exams import keys
    from ksk_desktop.exams.signing import sign_row

    ctx.require(Perm.EXAM_SIGN)
    reason = nfc(reason or "").strip()
    if not reason:
        raise InvalidInput("Phiếu điều chỉnh phải có lý do.")
    if sign and not password:
        raise InvalidInput("Nhập mật khẩu của bác sĩ để ký phiếu điều chỉnh.")
    signer = keys.unlock(ctx, password) if sign and password else None
    with ctx.write() as s:
        prev = latest(s, exam_id)
        if prev.status != "signed":
            raise InvalidInput(
                f"Phiên bản {prev.version} của phiếu khám {exam_id} chưa ký: sửa trực tiếp bản nháp, "
                "không cần điều chỉnh."
            )
        doc = document.loads(prev.document)
        form = load_form(prev.form, prev.form_version)
        changes = dict(changes)
        plan_changes = {k: changes.pop(k) for k in ("referrals", "followups") if k in changes}
        changed = apply_values(ctx, doc, form, changes, check_perm=True)
        apply_confirmations(doc, form, confirm)
        if plan_changes:
            apply_plan(
                doc,
                plan_changes.get("referrals", doc["referrals"]),
                plan_changes.get("followups", doc["followups"]),
            )
            changed += list(plan_changes)
        if not changed:
            raise InvalidInput("Phiếu điều chỉnh không thay đổi gì so với bản đã ký.")
        doc.update(
            version=prev.version + 1,
            status="draft",
            amends_version=prev.version,
            amendment_reason=reason,
            signed_by=None,
            signer_name=None,
            signed_at=None,
            signer_key_id=None,
            signature=None,
        )
        person = person_of(s, prev.person_id)
        error = recompute(doc, form, person)
        row = insert_version(ctx, s, doc, section_versions=json.loads(prev.section_versions))
        s.flush()
        ctx.audit(
            s,
            "exam.amend",
            "exam",
            exam_id,
            {"version": doc["version"], "amends_version": prev.version, "fields": sorted(changed)},
        )
        if signer is not None:
            return sign_row(ctx, s, row, signer)
        return state(ctx, row, doc, person, error)
