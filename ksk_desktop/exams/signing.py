"""Sign-off: a doctor signs a complete draft with Ed25519 over the canonical JSON of the exam document (without
its ``signature``), with their own key opened by their password (``keys.unlock``); the version becomes
immutable. Verification of a stored exam and of the QR text printed on the result slip.

QR text format (no health data)::

    KSK1|<exam id>|<version>|<key id>|<base64url signature, unpadded>
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import Appointment, ExamDay, ExamVersion
from ksk_desktop.errors import PermissionDenied
from ksk_desktop.exams import document, keys, validation
from ksk_desktop.exams.errors import InvalidSignature, SigningBlocked
from ksk_desktop.exams.forms import load_form
from ksk_desktop.security.roles import Perm
from ksk_desktop.security.signer import Signer
from ksk_desktop.station.session import StationSession

QR_PREFIX = "KSK1"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _value(u: dict) -> str:
    value = u.get("value")
    if value is None:
        return u["label"]
    shown = str(value).replace(".", ",") if isinstance(value, float) else str(value)
    return f"{u['label']} {shown}"


def _blocked_message(todo: dict) -> str:
    """One line, in the form's words: what is missing, what waits for confirmation, what else is wrong."""
    parts = []
    if todo["missing_required"]:
        by_section: dict[str, list[str]] = {}
        for m in todo["missing_required"]:
            by_section.setdefault(m["section_title"], []).append(m["label"])
        names = "; ".join(f"{title}: {', '.join(labels)}" for title, labels in by_section.items())
        parts.append(f"còn thiếu {len(todo['missing_required'])} trường bắt buộc ({names})")
    if todo["unconfirmed"]:
        parts.append("cần xác nhận giá trị bất thường: " + ", ".join(_value(u) for u in todo["unconfirmed"]))
    parts.extend(e.rstrip(".") for e in todo["errors"])
    return "Chưa ký được phiếu khám: " + "; ".join(parts) + "."


def _mark_examined(ctx: StationSession, s: Session, doc: dict) -> None:
    """The visit the exam belongs to is examined: its appointment, or — an exam opened from a search rather than
    from the queue has none — the person's appointment checked in on the exam's date."""
    from ksk_desktop.scheduling import appointments as appts
    from ksk_desktop.scheduling import status as st

    if doc.get("appointment_id"):
        appt = s.get(Appointment, doc["appointment_id"])
    else:
        appt = s.scalars(
            select(Appointment)
            .join(ExamDay, ExamDay.id == Appointment.day_id)
            .where(
                Appointment.person_id == doc["person_id"],
                ExamDay.exam_date == date.fromisoformat(doc["exam_date"]),
                Appointment.status.in_((st.CHECKED_IN, st.IN_EXAM)),
            )
            .limit(1)
        ).first()
    if appt is not None and st.EXAMINED in st.TRANSITIONS[appt.status]:
        appts.change(ctx, s, appt, "appointment.examined", {"by_exam_sign": True}, status=st.EXAMINED)


def sign_row(
    ctx: StationSession,
    s: Session,
    row: ExamVersion,
    signer: Signer,
    *,
    signed_at: datetime | None = None,
    cert_password: str | None = None,
) -> dict:
    """Sign the draft *row* with *signer* (the logged-in doctor's, from ``keys.unlock``) inside the caller's
    transaction: checks, signature, immutable status, referral and follow-up rows, outbox (``exam`` or
    ``amendment``), appointment examined, audit; and, for an exam's first version, its QĐ 1551 file signed and
    queued for the Ministry (``moh1551.sign_off``: the doctor's certificate opens with *cert_password*) or the
    reason it was not. Returns the document."""
    from ksk_desktop.exams import followups, referrals
    from ksk_desktop.exams.records import person_of, recompute

    ctx.require(Perm.EXAM_SIGN)
    if signer.username != ctx.user.username:
        raise PermissionDenied("Chỉ bác sĩ đang đăng nhập mới ký được bằng khóa của mình.")

    doc = document.loads(row.document)
    form = load_form(row.form, row.form_version)
    person = person_of(s, row.person_id)
    error = recompute(doc, form, person)
    todo = validation.problems(doc, form, person.sex, error)
    if any(todo.values()):
        raise SigningBlocked(
            _blocked_message(todo), todo["missing_required"], todo["unconfirmed"], todo["errors"]
        )
    key_id = signer.key_id
    moment = (signed_at or ctx.clock.now()).astimezone(UTC)
    at = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    doc.update(
        status="signed",
        signed_by=ctx.user.username,
        signer_name=ctx.user.full_name,
        signed_at=at,
        signer_key_id=key_id,
        signature=None,
    )
    doc["signature"] = base64.b64encode(signer.sign(document.signed_bytes(doc))).decode()
    row.document = document.dumps(doc)
    row.health_class = doc["health_class"]
    row.status, row.signed_by, row.signed_at = "signed", ctx.user.username, at
    row.signer_key_id, row.signature = key_id, doc["signature"]
    row.updated_by, row.updated_at = ctx.user.username, ctx.clock.utcnow()
    row.edit_seq += 1
    s.flush()
    referrals.record(ctx, s, doc)
    followups.record(ctx, s, doc)
    kind = "amendment" if doc["amends_version"] else "exam"
    outbox.enqueue(s, kind, doc["id"], doc, doc["version"])
    _mark_examined(ctx, s, doc)
    moh = None
    if kind == "exam":
        from ksk_desktop.moh1551.sign_off import queue_signed_exam

        moh = queue_signed_exam(
            s,
            doc,
            username=ctx.user.username,
            cert_password=cert_password or "",
            signed_at=moment,
            data_dir=ctx.paths.root,
        )
    ctx.audit(
        s,
        "exam.sign",
        "exam",
        doc["id"],
        {
            "version": doc["version"],
            "key_id": key_id,
            "person": doc["person_id"],
            **({"moh1551": moh["reason"] if not moh["queued"] else "queued"} if moh else {}),
        },
    )
    return doc


def sign(ctx: StationSession, exam_id: str, password: str, *, cert_password: str | None = None) -> dict:
    """Sign the exam's draft as the logged-in doctor (Perm.EXAM_SIGN) with their key, opened by their *password*;
    the doctor's QĐ 1551 certificate, if the station has one, opens with *cert_password* (default: the same
    password). Raises ``AuthenticationFailed`` for a wrong password, ``SigningBlocked`` with the list of what is
    missing, ``ExamSigned`` if it is already signed, a certificate error if the certificate does not open.
    Returns the signed document."""
    from ksk_desktop.exams.records import editable_draft

    ctx.require(Perm.EXAM_SIGN)
    signer = keys.unlock(ctx, password)  # the slow part (Argon2id), before the write transaction
    with ctx.write() as s:
        return sign_row(
            ctx,
            s,
            editable_draft(s, exam_id),
            signer,
            cert_password=password if cert_password is None else cert_password,
        )


def check_document(s: Session, doc: dict) -> str | None:
    """None when *doc* carries a valid signature by a known key; else the reason, in Vietnamese."""
    if doc.get("status") != "signed" or not doc.get("signature") or not doc.get("signer_key_id"):
        return "phiếu khám chưa được ký"
    public = keys.public_key(s, doc["signer_key_id"])
    if public is None:
        return f"không có khóa công khai {doc['signer_key_id']}"
    try:
        public.verify(base64.b64decode(doc["signature"]), document.signed_bytes(doc))
    except (CryptoInvalidSignature, ValueError):
        return "chữ ký không khớp với nội dung phiếu khám (nội dung đã bị thay đổi)"
    return None


def check_row(s: Session, row: ExamVersion) -> str | None:
    """Checks the stored document's signature and that the row's own columns agree with it."""
    doc = document.loads(row.document)
    if (doc.get("id"), doc.get("version"), doc.get("signature")) != (row.exam_id, row.version, row.signature):
        return "dữ liệu phiếu khám không khớp với bản đã ký"
    if doc.get("health_class") != row.health_class or doc.get("status") != row.status:
        return "dữ liệu phiếu khám không khớp với bản đã ký"
    return check_document(s, doc)


def verify(ctx: StationSession, exam_id: str, version: int | None = None) -> dict:
    """``{"valid", "exam_id", "version", "reason"}`` for a stored exam version."""
    from ksk_desktop.exams.records import version_row

    ctx.require(Perm.PERSON_READ)
    with ctx.write() as s:
        row = version_row(s, exam_id, version)
        problem = check_row(s, row)
        ctx.audit(s, "exam.verify", "exam", exam_id, {"version": row.version, "valid": problem is None})
        return {"valid": problem is None, "exam_id": exam_id, "version": row.version, "reason": problem}


def verify_qr_text(doc: dict) -> str:
    """The text of the result slip's QR code: exam id, version, key id and signature, no health data."""
    if doc.get("status") != "signed" or not doc.get("signature"):
        raise InvalidSignature("Phiếu khám chưa ký: chưa có mã QR xác thực.")
    return "|".join(
        [
            QR_PREFIX,
            doc["id"],
            str(doc["version"]),
            doc["signer_key_id"],
            _b64url(base64.b64decode(doc["signature"])),
        ]
    )


def parse_qr_text(text: str) -> tuple[str, int, str, bytes]:
    parts = (text or "").strip().split("|")
    if len(parts) != 5 or parts[0] != QR_PREFIX:
        raise InvalidSignature("Mã QR không phải mã xác thực phiếu khám KSK.")
    _, exam_id, version, key_id, sig = parts
    try:
        return exam_id, int(version), key_id, _unb64url(sig)
    except ValueError:
        raise InvalidSignature("Mã QR xác thực bị hỏng.") from None


def verify_qr(ctx: StationSession, text: str) -> dict:
    """Check a scanned QR text against the stored signed exam. Returns ``{"valid": True, "exam_id", "version",
    "exam_date", "signer_name", "signed_at"}`` (no health data); raises ``InvalidSignature`` with the reason."""
    exam_id, version, key_id, signature = parse_qr_text(text)
    ctx.require(Perm.PERSON_READ)
    with ctx.write() as s:
        row = s.get(ExamVersion, (exam_id, version))
        problem = None
        if row is None:
            problem = "không có phiếu khám này trong dữ liệu của trạm"
        elif row.status != "signed":
            problem = "phiếu khám chưa được ký"
        elif row.signer_key_id != key_id or base64.b64decode(row.signature or "") != signature:
            problem = "chữ ký trên mã QR không khớp với phiếu khám đã lưu"
        else:
            problem = check_row(s, row)
        ctx.audit(
            s, "exam.verify", "exam", exam_id, {"version": version, "valid": problem is None, "qr": True}
        )
    if problem:
        raise InvalidSignature(f"Không hợp lệ: {problem}.")
    assert row is not None  # no row is a problem
    doc = document.loads(row.document)
    return {
        "valid": True,
        "exam_id": exam_id,
        "version": version,
        "exam_date": doc["exam_date"],
        "signer_name": doc["signer_name"],
        "signed_at": doc["signed_at"],
    }
