"""Reports the stations submit (``report`` items): kept at the hub as they came, every version.

Authorisation: a device submits only its own station's reports — the report must name the device's station and a
commune its station serves (from the hub's registry, never from the device), and its id must not be one another
station sent first. A report is frozen at the station; the hub recomputes the SHA-256 of the figures and refuses a
report whose figures do not match it. A version already received cannot be replaced by another report; a later
version (a correction) must give its reason.

Signature: a report is accepted only signed by the station's head (``doctor_keys.check_report``: an approved key
that station registered for that user as head, verifying over ``ksk_desktop.reports.signature``); the key id and
signature are kept beside it (``hub_report_signature``, a table of its own so hubs that had reports before it
gain it at start) and verified again whenever the report is shown. Reports received before reports were signed
have no row there: shown as not signed ("chưa ký"), never as verified.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ksk_desktop.reports import signature as report_signature
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.audit import canonical_json
from sync.hub import authz, doctor_keys, people
from sync.hub.items import INT32_MAX, ItemRejected, fits, int_in_range
from sync.hub.models import HubBase

KINDS = ("monthly", "annual")
GROUPS = ("a", "b", "c", "d", "đ")
COUNTS = ("managed", "examined_month", "examined_ytd", "next_year_need")
_PERIOD = {"monthly": re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])"), "annual": re.compile(r"[0-9]{4}")}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class HubReport(HubBase):
    """One version of one station's report, as submitted."""

    __tablename__ = "hub_report"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(String(5))
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    figures: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (
        UniqueConstraint("station_code", "kind", "period", "version", name="uq_hub_report_version"),
        Index("ix_hub_report_period", "kind", "period"),
    )


class HubReportSignature(HubBase):
    """The head's signature of one received report version (every report received since reports were signed)."""

    __tablename__ = "hub_report_signature"
    report_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    signer_key_id: Mapped[str] = mapped_column(String(doctor_keys.KEY_ID_LEN))
    signature: Mapped[str] = mapped_column(String(100))


def _bad(reason: str) -> ItemRejected:
    return ItemRejected("bad_report", reason)


def _check_counts(row: object, where: str) -> None:
    if not isinstance(row, dict):
        raise _bad(f"Báo cáo thiếu số liệu ({where}).")
    for key in COUNTS:
        if not int_in_range(row.get(key), INT32_MAX):
            raise _bad(f"Số liệu {key} ({where}) không hợp lệ.")
    if row["examined_ytd"] > row["managed"] or row["examined_month"] > row["examined_ytd"]:
        raise _bad(f"Số đã khám lớn hơn số quản lý ({where}).")


def check_figures(figures: object) -> dict:
    """The figures must have the five groups and a total, each with whole, consistent counts."""
    if not isinstance(figures, dict):
        raise _bad("Báo cáo thiếu số liệu.")
    groups = figures.get("groups")
    if not isinstance(groups, list) or [
        g.get("group") if isinstance(g, dict) else None for g in groups
    ] != list(GROUPS):
        raise _bad("Báo cáo phải có đủ năm nhóm a, b, c, d, đ theo thứ tự.")
    for g in groups:
        _check_counts(g, f"nhóm {g['group']}")
    _check_counts(figures.get("total"), "tổng cộng")
    for key in COUNTS:
        if sum(g[key] for g in groups) != figures["total"][key]:
            raise _bad(f"Tổng cộng {key} không bằng tổng các nhóm.")
    return figures


def apply(s: Session, device, entity_id: str, version: int, payload: dict, now: datetime) -> dict:  # noqa: ANN001
    """Check and store one ``report`` item from *device*."""
    kind, period = payload.get("kind"), payload.get("period")
    if kind not in KINDS or not isinstance(period, str) or not _PERIOD[kind].fullmatch(period):
        raise _bad("Loại hoặc kỳ báo cáo không hợp lệ.")
    if payload.get("id") != entity_id or payload.get("version") != version or version < 1:
        raise _bad("Mã hoặc phiên bản báo cáo không khớp với mục gửi lên.")
    figures = check_figures(payload.get("figures"))
    station, commune = payload.get("station_code"), payload.get("commune_code")
    if station != device.station_code or figures.get("station_code") != station:
        raise ItemRejected(
            people.NOT_YOURS, "Báo cáo của một trạm khác: thiết bị chỉ nộp báo cáo của trạm mình."
        )
    if not fits(commune, 5) or figures.get("commune_code") != commune or not device.serves(commune):
        raise ItemRejected(
            "commune_not_served", "Báo cáo của một xã mà trạm không phụ trách: máy chủ không nhận."
        )
    if (kind == "monthly" and figures.get("month") != period) or (
        kind == "annual" and str(figures.get("year")) != period
    ):
        raise _bad("Kỳ của số liệu khác kỳ báo cáo.")
    digest = payload.get("digest")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise _bad("Báo cáo thiếu mã kiểm tra.")
    if hashlib.sha256(canonical_json(figures).encode()).hexdigest() != digest:
        raise ItemRejected(
            "bad_digest", "Số liệu báo cáo không khớp mã kiểm tra: báo cáo đã bị thay đổi sau khi nộp."
        )
    reason = payload.get("reason")
    if version > 1 and not (isinstance(reason, str) and reason.strip()):
        raise _bad("Bản điều chỉnh phải ghi lý do.")
    for key, limit in (("signed_by", 40), ("signer_name", 200), ("signed_at", 40)):
        if not fits(payload.get(key), limit):
            raise _bad("Báo cáo thiếu người ký hoặc thời điểm ký.")
    authz.check_entity(s, device, "report", entity_id)
    doctor_keys.check_report(s, station, payload)  # the head's signature, by an approved key: or refused
    taken = s.scalar(
        select(HubReport.id).where(
            HubReport.station_code == station,
            HubReport.kind == kind,
            HubReport.period == period,
            HubReport.version == version,
        )
    )
    if taken is not None and taken != entity_id:
        raise ItemRejected(
            "report_version_exists", f"Phiên bản {version} của báo cáo kỳ này đã nộp trước đó."
        )
    if taken is None:
        s.add(
            HubReport(
                id=entity_id,
                station_code=station,
                commune_code=commune,
                kind=kind,
                period=period,
                version=version,
                digest=digest,
                figures=json.dumps(figures, ensure_ascii=False),
                reason=reason if isinstance(reason, str) else None,
                signed_by=payload["signed_by"],
                signer_name=payload["signer_name"],
                signed_at=payload["signed_at"],
                received_at=now,
            )
        )
        s.add(
            HubReportSignature(
                report_id=entity_id, signer_key_id=payload["signer_key_id"], signature=payload["signature"]
            )
        )
    return {}


def signature_of(s: Session, report: HubReport) -> dict:
    """Who signed *report* and whether the signature verifies now under the key it names: ``{"signed_by",
    "signer_key_id", "signature_verified"}`` — ``signer_key_id`` None for a report received before reports were
    signed."""
    row = s.get(HubReportSignature, report.id)
    key = s.get(doctor_keys.DoctorKey, row.signer_key_id) if row is not None else None
    verified = (
        row is not None
        and key is not None
        and key.station_code == report.station_code
        and key.username == report.signed_by
        and doctor_keys.may(doctor_keys.role_of(key), Perm.REPORT_SUBMIT)
        and doctor_keys.approved(s, key.key_id, report.station_code)
        and report_signature.verifies(
            {
                "kind": report.kind,
                "period": report.period,
                "version": report.version,
                "station_code": report.station_code,
                "commune_code": report.commune_code,
                "figures": json.loads(report.figures),
                "digest": report.digest,
                "reason": report.reason,
                "signed_by": report.signed_by,
                "signed_at": report.signed_at,
                "signer_key_id": row.signer_key_id,
                "signature": row.signature,
            },
            key.public_key,
        )
    )
    return {
        "signed_by": report.signed_by,
        "signer_key_id": row.signer_key_id if row is not None else None,
        "signature_verified": bool(verified),
    }
