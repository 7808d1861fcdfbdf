"""Submitting a report: the head freezes its figures with the data version they came from, signs them with their
own signing key, and the station sends them to the city hub as a ``report`` sync item (outbox, same
transaction). A submitted version is never changed (database triggers); a correction is the next version of
the same period, with a reason, sent the same way. The hub keeps every version and shows the latest.

The signature is the head's Ed25519 key (``exams.keys``, purpose ``REPORT``: made on the head's first
submission, wrapped with their password, registered at the hub and approved there by its administrator) over
``reports.signature.signed_bytes``: kind, period, version, station, commune, the frozen figures and their data
version, their SHA-256, the reason, the signer and the moment. The password opens the key (a wrong one counts
toward the lock-out, as at login); the hub accepts the report only if the signature verifies under an approved key
this station registered for that user as head. The device credential proves the station.

Versions submitted before reports were signed keep no signature (``signer_key_id`` None): the same figures may
then be submitted again, signed, as the next version with a reason.
"""

from __future__ import annotations

import base64
import hashlib
import json

from sqlalchemy import select

from ksk_desktop import outbox
from ksk_desktop.db.models import ReportSubmission
from ksk_desktop.errors import InvalidInput, KskError
from ksk_desktop.exams import keys
from ksk_desktop.ids import new_id
from ksk_desktop.reports import annual, monthly, signature
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.audit import canonical_json
from ksk_desktop.station.session import StationSession

KIND = "report"
FORMAT = 1
KINDS = ("monthly", "annual")
_VOLATILE = ("generated_at",)  # not part of what is frozen: the same figures made twice are the same report


def frozen(report: dict) -> dict:
    """The part of *report* that is frozen and compared: everything but the moment it was made."""
    return {k: v for k, v in report.items() if k not in _VOLATILE}


def digest(figures: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of *figures*: what the hub recomputes."""
    return hashlib.sha256(canonical_json(figures).encode()).hexdigest()


def _build(ctx: StationSession, kind: str, period: str) -> dict:
    if kind == "monthly":
        return monthly.build(ctx, period)
    if kind == "annual":
        try:
            year = int(period)
        except ValueError:
            raise InvalidInput(f"Năm {period!r} không hợp lệ.") from None
        return annual.build(ctx, year)
    raise InvalidInput(f"Loại báo cáo {kind!r} không có (monthly, annual).")


def submit(ctx: StationSession, kind: str, period: str, password: str, *, reason: str | None = None) -> dict:
    """Freeze and submit the *kind* report of *period*; returns the submission (``version``, ``digest`` …).
    The first version needs no reason; a later one (a correction) must give one and must change the figures."""
    ctx.require(Perm.REPORT_SUBMIT)
    report = _build(ctx, kind, period)
    if kind == "monthly" and report["partial"]:
        raise InvalidInput(
            f"Tháng {period} chưa kết thúc: chỉ nộp được báo cáo tháng từ ngày đầu của tháng sau."
        )
    reason = (reason or "").strip() or None
    signer = keys.unlock(ctx, password, keys.REPORT)  # the slow part (Argon2id), before the write transaction
    figures = frozen(report)
    digest_hex = digest(figures)
    period_key = report.get("month") or str(report.get("year"))
    with ctx.write() as s:
        latest = s.scalars(
            select(ReportSubmission)
            .where(ReportSubmission.kind == kind, ReportSubmission.period == period_key)
            .order_by(ReportSubmission.version.desc())
            .limit(1)
        ).first()
        if latest is not None:
            if reason is None:
                raise InvalidInput(
                    f"Báo cáo kỳ {period_key} đã nộp (phiên bản {latest.version}): bản điều chỉnh phải ghi lý do "
                    "(--reason)."
                )
            if latest.digest == digest_hex and latest.signature is not None:  # an unsigned one may be signed
                raise KskError(
                    f"Số liệu không thay đổi so với phiên bản {latest.version} đã nộp: không cần nộp lại."
                )
        version = (latest.version + 1) if latest is not None else 1
        now = ctx.clock.now()
        row = ReportSubmission(
            id=new_id(),
            kind=kind,
            period=period_key,
            version=version,
            figures=canonical_json(figures),
            data_version=canonical_json(report["data_version"]),
            digest=digest_hex,
            reason=reason,
            signed_by=ctx.user.username,
            signer_name=ctx.user.full_name,
            signed_at=now.isoformat(timespec="seconds"),
            signer_key_id=signer.key_id,
            created_at=ctx.clock.utcnow(),
        )
        supersedes = latest.id if latest is not None else None
        # Signed before the row is written: a written row is frozen (triggers), signature included.
        row.signature = base64.b64encode(
            signer.sign(signature.signed_bytes(payload_of(row, supersedes)))
        ).decode()
        s.add(row)
        s.flush()
        payload = payload_of(row, supersedes)
        outbox.enqueue(s, KIND, row.id, payload, version)
        ctx.audit(
            s,
            "report.submit",
            "report_submission",
            row.id,
            {
                "kind": kind,
                "period": period_key,
                "version": version,
                "digest": digest_hex,
                "reason": reason,
                "signer_key_id": signer.key_id,
            },
        )
    return _row_json(row)


def payload_of(row: ReportSubmission, supersedes: str | None) -> dict:
    """The ``report`` sync item's payload (``signature`` and ``signer_key_id`` None on a version submitted before
    reports were signed: the hub refuses it)."""
    figures = json.loads(row.figures)
    return {
        "format": FORMAT,
        "id": row.id,
        "kind": row.kind,
        "period": row.period,
        "version": row.version,
        "station_code": figures["station_code"],
        "commune_code": figures["commune_code"],
        "figures": figures,
        "digest": row.digest,
        "reason": row.reason,
        "supersedes": supersedes,
        "signed_by": row.signed_by,
        "signer_name": row.signer_name,
        "signed_at": row.signed_at,
        "signer_key_id": row.signer_key_id,
        "signature": row.signature,
    }


def _row_json(row: ReportSubmission) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "period": row.period,
        "version": row.version,
        "digest": row.digest,
        "data_version": json.loads(row.data_version),
        "reason": row.reason,
        "signed_by": row.signed_by,
        "signer_name": row.signer_name,
        "signed_at": row.signed_at,
        "signer_key_id": row.signer_key_id,  # None: submitted before reports were signed
    }


def list_submissions(ctx: StationSession, kind: str | None = None, period: str | None = None) -> list[dict]:
    """Every submitted version, newest period first."""
    ctx.require(Perm.REPORT_READ)
    q = select(ReportSubmission)
    if kind:
        q = q.where(ReportSubmission.kind == kind)
    if period:
        q = q.where(ReportSubmission.period == period)
    with ctx.read() as s:
        rows = s.scalars(q.order_by(ReportSubmission.period.desc(), ReportSubmission.version)).all()
        return [_row_json(r) for r in rows]


def frozen_figures(ctx: StationSession, kind: str, period: str, version: int | None = None) -> dict:
    """The figures as submitted (the latest version unless *version*)."""
    ctx.require(Perm.REPORT_READ)
    with ctx.read() as s:
        q = select(ReportSubmission).where(ReportSubmission.kind == kind, ReportSubmission.period == period)
        if version is not None:
            q = q.where(ReportSubmission.version == version)
        row = s.scalars(q.order_by(ReportSubmission.version.desc()).limit(1)).first()
        if row is None:
            from ksk_desktop.errors import NotFound

            raise NotFound(f"Chưa nộp báo cáo kỳ {period}.")
        return {**_row_json(row), "figures": json.loads(row.figures)}


__all__ = ["KIND", "digest", "frozen", "frozen_figures", "list_submissions", "payload_of", "submit"]
