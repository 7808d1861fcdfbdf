"""The hub's tables. Created with ``create_all`` (the hub owns its database; no station file is involved).

Every id a device sends is remembered forever in ``hub_item`` (unique ``item_id``): a repeat is answered
"duplicate" however late it comes, which is what island teams offline for weeks need; an expiring
idempotency cache would not do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class HubBase(DeclarativeBase):
    pass


class EnrollCode(HubBase):
    """A one-time enrolment code for one station (only its SHA-256 is kept)."""

    __tablename__ = "hub_enroll_code"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))


class Device(HubBase):
    """An enrolled station install. The credential is a random token; only its SHA-256 is kept."""

    __tablename__ = "hub_device"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    station_code: Mapped[str] = mapped_column(String(20), index=True)
    station_id: Mapped[str] = mapped_column(String(36))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)


class Item(HubBase):
    """Every item a device delivered, once: the permanent table of seen ids (never pruned)."""

    __tablename__ = "hub_item"
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("hub_device.id"))
    station_code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(64))
    entity_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)  # hub clock; device clocks are never trusted
    __table_args__ = (
        Index("ix_hub_item_station_kind", "station_code", "kind"),
        Index("ix_hub_item_entity", "kind", "entity_id"),
    )


class HubPerson(HubBase):
    """One person as the hub knows them; the personal ID (when known) is unique across all stations."""

    __tablename__ = "hub_person"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    personal_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON (the station's person shape)
    revision: Mapped[int] = mapped_column(
        Integer
    )  # the hub's own counter: device versions are not comparable
    first_device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class PersonAlias(HubBase):
    """A person id merged into another: it resolves to ``kept_id`` forever (replays land on the kept one)."""

    __tablename__ = "hub_person_alias"
    merged_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kept_id: Mapped[str] = mapped_column(String(36), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # same_personal_id | station_merge
    snapshot: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Change(HubBase):
    """The pull feed: roster updates and merges in hub order; a device's cursor is the last ``seq`` it applied."""

    __tablename__ = "hub_change"
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(20))  # roster | merge
    entity_id: Mapped[str] = mapped_column(String(36))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    origin_device_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_hub_change_commune", "commune_code", "seq"),)


class AuditHead(HubBase):
    """A station's audit-chain head as pushed (seq, hash): the hub's copy of each device's history."""

    __tablename__ = "hub_audit_head"
    device_id: Mapped[str] = mapped_column(ForeignKey("hub_device.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)


class AuditAlert(HubBase):
    """Tamper evidence: a device's head went backwards, or changed at a seq the hub had already seen."""

    __tablename__ = "hub_audit_alert"
    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(36), index=True)
    station_code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))  # went_backwards | changed_at_seq
    seq: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)


class HubConsent(HubBase):
    """A person's consent as the station recorded it (Luật 91/2025/QH15): the newest version of each consent wins.
    An exam goes on to the health record only while its person has an active ``ehr_share`` consent."""

    __tablename__ = "hub_consent"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the station's consent id
    person_id: Mapped[str] = mapped_column(
        String(36), index=True
    )  # as the station sent it (resolve for merges)
    kind: Mapped[str] = mapped_column(String(12))  # exam | ehr_share
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class FhirForward(HubBase):
    """The hub's durable queue towards the FHIR health-record endpoint: one row per signed exam version.

    Written in the push transaction that accepts the exam; marked ``sent`` only after the FHIR server answered
    every entry; ``parked`` with the server's reason when it refuses the content (OperationOutcome)."""

    __tablename__ = "hub_fhir_forward"
    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    item_seq: Mapped[int] = mapped_column(ForeignKey("hub_item.seq"))
    exam_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str | None] = mapped_column(
        String(36), index=True
    )  # as pushed; a consent releases by it
    # pending | sent | parked | waiting (no EHR consent yet) | held (doctor's key not approved yet)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        UniqueConstraint("exam_id", "version", name="uq_hub_fhir_forward_exam_version"),
        Index("ix_hub_fhir_forward_due", "state", "next_attempt_at"),
    )


class MohCert(HubBase):
    """A station's facility certificate for QĐ 1551 (registered by the hub administrator): the hub forwards an
    envelope only if this certificate's key signed it. ``stopped`` is set when the Ministry answered
    ``PS_SIGNATURE_INVALID``: the station's pushes wait until the administrator fixes the cause and resumes."""

    __tablename__ = "hub_moh_cert"
    station_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    certificate: Mapped[str] = mapped_column(Text)  # PEM
    sha256: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    stop_reason: Mapped[str | None] = mapped_column(Text)


class MohPush(HubBase):
    """One envelope to push to the Ministry (by its ``msg_id``, the Ministry's idempotency key).

    ``state``: pending | waiting (no consent to sharing yet) | accepted | duplicate (``PS_CCCD_DUPLICATE_IN_6_
    MONTHS``) | parked (``CM_INVALID_REQUEST``: the data must be fixed) | stopped (``PS_SIGNATURE_INVALID``)."""

    __tablename__ = "hub_moh_push"
    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    item_seq: Mapped[int] = mapped_column(ForeignKey("hub_item.seq"))
    station_code: Mapped[str] = mapped_column(String(20), index=True)
    exam_id: Mapped[str] = mapped_column(String(64))
    exam_version: Mapped[int] = mapped_column(Integer)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    ma_lk: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    state: Mapped[str] = mapped_column(String(10))
    res_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    exam_ended_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_hub_moh_push_due", "state", "next_attempt_at"),)


class MohExchange(HubBase):
    """Every request the hub made to the Ministry for an envelope and what came back (kept for audit): HTTP
    status, the answer's body, its receiver signature and whether that verified, or the network error."""

    __tablename__ = "hub_moh_exchange"
    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("hub_moh_push.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    request_sha256: Mapped[str] = mapped_column(String(64))
    http_status: Mapped[int | None] = mapped_column(Integer)
    res_code: Mapped[str | None] = mapped_column(String(40))
    answer: Mapped[str | None] = mapped_column(Text)
    receiver_signature: Mapped[str | None] = mapped_column(Text)
    signature_ok: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
