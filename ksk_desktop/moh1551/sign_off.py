"""At the doctor's sign-off, in the same transaction as the signature: the exam's QĐ 1551 file, signed and queued
for the Ministry — or, when the station cannot, the reason recorded so ``ksk sync moh-status`` shows the exam as
"chưa gửi Bộ Y tế".

With the station's facility codes (``ksk station moh-settings``), the facility's certificate and the doctor's
(``ksk station cert import`` / ``ksk user cert import``): the KHAMSUCKHOE file is built and validated, the doctor
signs the record (``CKS_NGUOI_KET_LUAN``, over ``HOSO Id=MA_LK``) with their certificate opened by the password they
typed to sign (or a separate certificate password), the facility signs the file (``CKS_BENH_VIEN``) and the push
envelope, and the envelope is queued (``moh_push``) with the 24-hour deadline counted from the signature. A wrong
certificate password or an unusable token stops the signature (the doctor can retry); missing codes, missing
certificates or a file the data set refuses do not: the exam is signed as before and recorded as not sent, with
the reason (and, for an invalid file, the names of the fields it lacks — no personal data).

Only an exam's first signed version is queued: the Ministry's database takes no updates of a record already sent
(an amendment is kept and printed locally).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.db.models import Moh1551Unsent, MohCertificate
from ksk_desktop.moh1551 import codes, envelope, khamsuckhoe, settings, station_certs, xmldsig

REASONS = {
    "no_settings": "Chưa gửi Bộ Y tế (chưa đặt mã cơ sở)",
    "no_certificate": "Chưa gửi Bộ Y tế (thiếu chứng thư số)",
    "invalid": "Chưa gửi Bộ Y tế (dữ liệu chưa đủ)",
}


def _has_certificate(s: Session, owner: str) -> bool:
    return (
        s.scalars(
            select(MohCertificate.id).where(MohCertificate.owner == owner, MohCertificate.active.is_(True))
        ).first()
        is not None
    )


def _unsent(s: Session, doc: dict, reason: str, now: datetime, detail: str | None = None) -> dict[str, Any]:
    s.merge(
        Moh1551Unsent(
            exam_id=doc["id"],
            exam_version=doc["version"],
            reason=reason,
            detail=detail,
            at=now.replace(tzinfo=None),
        )
    )
    return {"queued": False, "reason": reason, "label": REASONS[reason], "detail": detail}


def queue_signed_exam(
    s: Session, doc: dict, *, username: str, cert_password: str, signed_at: datetime, data_dir: Any = None
) -> dict[str, Any]:
    """Build, sign and queue the QĐ 1551 envelope of the just-signed *doc* inside transaction *s*; returns
    ``{"queued": True, "ma_lk", "msg_id"}`` or ``{"queued": False, "reason", "label", "detail"}``."""
    at = signed_at if signed_at.tzinfo else signed_at.replace(tzinfo=UTC)
    conf = settings.read(s)
    if not conf.complete:
        return _unsent(s, doc, "no_settings", at)
    if not (_has_certificate(s, station_certs.FACILITY) and _has_certificate(s, username)):
        return _unsent(s, doc, "no_certificate", at)
    file_bytes = khamsuckhoe.build_file(s, doc["id"], version=doc["version"], data_dir=data_dir)
    problems = khamsuckhoe.validate(file_bytes)
    if problems:
        missing = sorted({p.field or p.part or "" for p in problems if p.missing})
        other = sorted({p.field or p.part or "" for p in problems if not p.missing})
        detail = "; ".join(
            x
            for x in (
                ("thiếu " + ", ".join(missing)) if missing else "",
                ("sai " + ", ".join(other)) if other else "",
            )
            if x
        )
        return _unsent(s, doc, "invalid", at, detail)
    ma_lk = codes.ma_lk(doc["id"])
    doctor = station_certs.open_doctor_signer(s, username, cert_password, at)
    try:
        facility = station_certs.open_facility_signer(s, at)
        try:
            signed = xmldsig.sign(file_bytes, doctor, into="CKS_NGUOI_KET_LUAN", reference_id=ma_lk)
            signed = xmldsig.sign(signed, facility, into="CKS_BENH_VIEN")
            assert conf.ma_gtin_cskcb is not None  # conf.complete
            env = envelope.build(signed, sender_id=conf.ma_gtin_cskcb, signer=facility, now=at)
        finally:
            facility.close()
    finally:
        doctor.close()
    envelope.queue_push(
        s,
        exam_id=doc["id"],
        ma_lk=ma_lk,
        person_id=doc["person_id"],
        envelope=env,
        exam_ended_at=at,
        exam_version=doc["version"],
    )
    return {"queued": True, "ma_lk": ma_lk, "msg_id": env["header"]["msg_id"]}
