"""The schema as SQLAlchemy 2 declarative models. Migrations in ``migrations/versions`` create it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Station(Base):
    """The one station this install serves."""

    __tablename__ = "station"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AppUser(Base):
    __tablename__ = "app_user"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    licence_no: Mapped[str | None] = mapped_column(String(40))  # a doctor's practising licence number


class AuditEvent(Base):
    """Append-only, hash-chained record of who did what to which record, and when."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # UTC ISO-8601; text so that the hash input is exact
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


class OutboxItem(Base):
    """A change that must leave the machine, written in the same transaction as the change itself."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(64))
    entity_version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[str | None] = mapped_column(Text)  # None: send the entity as it is when sent
    created_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending, in_flight, sent, parked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_outbox_state", "state", "seq"),)


class Person(Base):
    """A resident. Identifiers and the folded name are found through the ``person_fts`` index (migration 0003);
    only the list order, birth year and hamlet have B-tree indexes, which keeps bulk imports fast."""

    __tablename__ = "person"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    personal_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    old_id: Mapped[str | None] = mapped_column(String(9))
    full_name: Mapped[str] = mapped_column(String(200))
    name_fold: Mapped[str] = mapped_column(String(200))
    sort_key: Mapped[str] = mapped_column(String(220), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer, index=True)
    sex: Mapped[str | None] = mapped_column(String(1))
    permanent_address: Mapped[str | None] = mapped_column(String(400))
    current_address: Mapped[str | None] = mapped_column(String(400))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    hamlet: Mapped[str | None] = mapped_column(String(120), index=True)
    phone: Mapped[str | None] = mapped_column(String(15))
    insurance_no: Mapped[str | None] = mapped_column(String(20))
    target_group: Mapped[str | None] = mapped_column(String(2))
    guardian_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_phone: Mapped[str | None] = mapped_column(String(15))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The hub's revision of the record this device last saw (sent back as base_revision; migration 0017).
    hub_revision: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    flags: Mapped[list[PersonFlag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonFlag.flag"
    )


class PersonFlag(Base):
    """A priority flag (elderly, merit, poor, …) of one person."""

    __tablename__ = "person_flag"
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    flag: Mapped[str] = mapped_column(String(20), primary_key=True)
    __table_args__ = (Index("ix_person_flag_flag", "flag"),)


class Consent(Base):
    """A person's consent, recorded by an operator at a time; withdrawable (withdrawal is recorded, not erased)."""

    __tablename__ = "consent"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(20))  # exam | ehr_share
    given_by: Mapped[str] = mapped_column(String(20))  # self | guardian
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(40))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(400))
    __table_args__ = (Index("ix_consent_person", "person_id", "kind"),)


class PersonMerge(Base):
    """A duplicate that was merged into another person: its id keeps pointing at the one kept."""

    __tablename__ = "person_merge"
    merged_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kept_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    __table_args__ = (Index("ix_person_merge_kept", "kept_id"),)
    merged_by: Mapped[str] = mapped_column(String(40))
    merged_at: Mapped[datetime] = mapped_column(DateTime)
    snapshot: Mapped[str] = mapped_column(Text)  # the merged record as it was, canonical JSON


class CccdScan(Base):
    """One scan of a citizen ID card's QR code: the raw payload is kept only here, encrypted with the database."""

    __tablename__ = "cccd_scan"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    scanned_by: Mapped[str] = mapped_column(String(40))
    scanned_at: Mapped[datetime] = mapped_column(DateTime)
    raw: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))  # existing | created | updated | needs_confirmation
    __table_args__ = (Index("ix_cccd_scan_person", "person_id"),)


# -- campaigns and scheduling (migration 0006) -----------------------------------------------------------------
class Campaign(Base):
    """A year's exam campaign for some target groups, with the exam form each group uses."""

    __tablename__ = "campaign"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    target_groups: Mapped[str] = mapped_column(Text)  # JSON list, e.g. ["a", "b"]
    exam_forms: Mapped[str] = mapped_column(Text)  # JSON {group: form id}
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Site(Base):
    """Where exams happen: the station itself or a mobile site (school, factory, village hall, island…)."""

    __tablename__ = "site"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # station | school | factory | village_hall | island | other
    mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity_per_hour: Mapped[int | None] = mapped_column(Integer)  # None: not set yet
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ExamDay(Base):
    """One day of exams at one site, cut into slots of ``slot_minutes`` within the opening hours."""

    __tablename__ = "exam_day"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"))
    exam_date: Mapped[date] = mapped_column(Date)
    opening_hours: Mapped[str] = mapped_column(String(100))  # local wall clock, "07:30-11:30,13:30-16:30"
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity_per_slot: Mapped[int] = mapped_column(Integer)
    team_note: Mapped[str | None] = mapped_column(String(400))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The device running the day's desk (it gives the queue numbers; migration 0017): claimed by the first
    # check-in, taken over by the head; None until then or on a device never enrolled.
    desk_device_id: Mapped[str | None] = mapped_column(String(36))
    __table_args__ = (
        Index("ux_exam_day_site_date", "site_id", "exam_date", unique=True),
        Index("ix_exam_day_date", "exam_date"),
    )


class Slot(Base):
    """A time slot of an exam day. Start and end are the local wall-clock time (Asia/Ho_Chi_Minh) on the
    exam date, as ``HH:MM``."""

    __tablename__ = "slot"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day_id: Mapped[str] = mapped_column(ForeignKey("exam_day.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ux_slot_day_seq", "day_id", "seq", unique=True),)


class Appointment(Base):
    """A person's appointment in a campaign: a day and a slot, a state, a queue number once checked in."""

    __tablename__ = "appointment"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id"))
    day_id: Mapped[str] = mapped_column(ForeignKey("exam_day.id"))
    slot_id: Mapped[str] = mapped_column(ForeignKey("slot.id"))
    status: Mapped[str] = mapped_column(String(12))  # see ksk_desktop.scheduling.status
    queue_no: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 1: elderly, disabled or merit (morning slots)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    rescheduled_from: Mapped[str | None] = mapped_column(ForeignKey("appointment.id"))
    note: Mapped[str | None] = mapped_column(String(400))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    called_at: Mapped[datetime | None] = mapped_column(DateTime)  # called into an exam room (UTC)
    room: Mapped[str | None] = mapped_column(String(60))  # the room it was called into, while in the exam
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        Index("ix_appointment_day", "day_id", "slot_id", "status"),
        Index("ix_appointment_person", "person_id", "campaign_id"),
        Index("ix_appointment_campaign", "campaign_id", "status"),
    )


# One active appointment per person and campaign; one queue number per day (partial unique indexes).
Index(
    "ux_appointment_active",
    Appointment.campaign_id,
    Appointment.person_id,
    unique=True,
    sqlite_where=Appointment.status.in_(["scheduled", "notified", "checked_in", "in_exam", "examined"]),
)
Index(
    "ux_appointment_queue",
    Appointment.day_id,
    Appointment.queue_no,
    unique=True,
    sqlite_where=Appointment.queue_no.isnot(None),
)


class SyncState(Base):
    """The station's link to the city hub (one row, id 1). The device credential is kept only here, inside the
    encrypted database: never in a file, a setting or a log."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hub_url: Mapped[str | None] = mapped_column(String(300))
    device_id: Mapped[str | None] = mapped_column(String(36))
    credential: Mapped[str | None] = mapped_column(Text)
    pin_sha256: Mapped[str | None] = mapped_column(String(64))  # the hub certificate's fingerprint, if pinned
    ca_file: Mapped[str | None] = mapped_column(String(500))
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    enrolled_by: Mapped[str | None] = mapped_column(String(40))
    pull_cursor: Mapped[int] = mapped_column(
        Integer, default=0
    )  # moves only with the pulled changes it covers
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    hub_alert: Mapped[str | None] = mapped_column(Text)  # the hub saw the audit chain go backwards or change
    hub_alert_at: Mapped[datetime | None] = mapped_column(DateTime)
    item_cursor: Mapped[int] = mapped_column(Integer, default=0)  # the station feed's (migration 0012)
    device_private_key: Mapped[str | None] = mapped_column(
        Text
    )  # Ed25519, signs this device's transfer files
    device_public_key: Mapped[str | None] = mapped_column(String(64))
    transfer_key: Mapped[str | None] = mapped_column(
        Text
    )  # the station's, from the hub: encrypts transfer files
    transfer_key_id: Mapped[str | None] = mapped_column(String(32))


class SyncRemoteMerge(Base):
    """A merge the hub announced (``merged_id`` now resolves to ``kept_id``), and whether it was applied here."""

    __tablename__ = "sync_remote_merge"
    merged_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kept_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    applied_at: Mapped[datetime | None] = mapped_column(
        DateTime
    )  # set when merged locally (core person merge)
    __table_args__ = (Index("ix_sync_remote_merge_kept", "kept_id"),)


class SyncReceivedItem(Base):
    """An item received from another device of the station (hub or transfer file), by the id its device gave it:
    applied once, ``waiting`` for what it refers to, ``refused`` (with the reason) or ``superseded`` by a newer
    version; its content is kept unless applied (docs/multi-device.md §5)."""

    __tablename__ = "sync_received_item"
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(64))
    entity_version: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(10))  # hub | file
    state: Mapped[str] = mapped_column(String(12))  # applied | waiting | refused | superseded
    payload: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What a waiting item waits for (person, campaign, site, place, appointment, key), so that only the items
    # whose record has arrived are tried again.
    wait_kind: Mapped[str | None] = mapped_column(String(12))
    wait_id: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        Index("ix_sync_received_item_state", "state", "received_at"),
        Index("ix_sync_received_item_entity", "kind", "entity_id"),
        Index("ix_sync_received_item_wait", "state", "wait_kind", "wait_id"),
    )


class SyncConflict(Base):
    """Two devices changed the same record: the version that lost is kept here to be shown, never dropped."""

    __tablename__ = "sync_conflict"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(64))
    kept_item_id: Mapped[str | None] = mapped_column(String(36))
    lost_item_id: Mapped[str | None] = mapped_column(String(36))
    lost_device_id: Mapped[str | None] = mapped_column(String(36))
    lost_payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    detail: Mapped[str] = mapped_column(String(200))  # Vietnamese, no personal data
    found_at: Mapped[datetime] = mapped_column(DateTime)
    seen_by: Mapped[str | None] = mapped_column(String(40))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_sync_conflict_entity", "kind", "entity_id"),)


class SyncDevice(Base):
    """A device of this station as the hub last listed it (times: UTC ISO 8601 text, as the hub said them)."""

    __tablename__ = "sync_device"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enrolled_at: Mapped[str | None] = mapped_column(String(40))
    last_seen_at: Mapped[str | None] = mapped_column(String(40))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    public_key: Mapped[str | None] = mapped_column(String(64))  # Ed25519, checks its transfer files
    updated_at: Mapped[datetime] = mapped_column(DateTime)


# -- exams (migration 0008) ------------------------------------------------------------------------------------
class ExamVersion(Base):
    """One version of an exam: a draft (saved section by section, ``edit_seq`` and ``section_versions`` for
    optimistic checks), then signed and immutable (database triggers refuse UPDATE/DELETE). An amendment is the next
    version of the same ``exam_id``. ``document`` is the exam document as canonical JSON."""

    __tablename__ = "exam_version"
    exam_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    appointment_id: Mapped[str | None] = mapped_column(String(36))
    form: Mapped[str] = mapped_column(String(20))
    form_version: Mapped[int] = mapped_column(Integer)
    exam_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # draft | signed
    edit_seq: Mapped[int] = mapped_column(Integer, default=1)
    section_versions: Mapped[str] = mapped_column(Text, default="{}")  # JSON {section id: n}
    health_class: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    amends_version: Mapped[int | None] = mapped_column(Integer)
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str | None] = mapped_column(String(40))
    signed_at: Mapped[str | None] = mapped_column(String(40))  # ISO 8601 UTC, as signed
    signer_key_id: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_exam_version_person", "person_id", "exam_date"),
        Index("ix_exam_version_date", "exam_date", "status"),
        Index("ix_exam_version_appointment", "appointment_id"),
    )


class ExamSigningKey(Base):
    """A signer's Ed25519 key pair (raw keys, base64): a doctor's (exams) or the head's (reports), by ``role`` —
    the user's role when it was made; None on keys from before roles were recorded, all doctors'. The table keeps
    its first name. The private key is kept only wrapped with the user's own password (``holder = "password"``,
    ``security.signer``): opening the database does not open it. A retired key (``holder = "none"``: replaced
    after a password reset or a role change, or made before keys were wrapped) keeps only its public half, so the
    signatures it made stay verifiable."""

    __tablename__ = "exam_signing_key"
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(200))
    licence_no: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(20))
    wrapped_private_key: Mapped[str | None] = mapped_column(Text)  # sealed JSON (security.sealing)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)
    retired_reason: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (Index("ix_exam_signing_key_user", "username", "active"),)


class Referral(Base):
    """A referral written on a signed exam: where to, why, how urgently."""

    __tablename__ = "referral"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exam_id: Mapped[str] = mapped_column(String(36), index=False)
    exam_version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    destination: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(10))  # routine | soon | urgent
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_referral_exam", "exam_id"), Index("ix_referral_person", "person_id"))


class FollowUp(Base):
    """A follow-up item the station manages after an exam (hypertension, diabetes…), open until done."""

    __tablename__ = "followup"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exam_id: Mapped[str] = mapped_column(String(36))
    exam_version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(30))
    due_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # open | done
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(40))
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)  # each status change (migration 0017)
    __table_args__ = (
        Index("ix_followup_due", "status", "due_date"),
        Index("ix_followup_person", "person_id"),
    )


# -- reports (migration 0012) ----------------------------------------------------------------------------------
class ReportGroupSetting(Base):
    """What the head sets per year and target group: the unit price of one exam (VND, for the annual cost
    estimate) and the funding source counted for an exam that does not name its own."""

    __tablename__ = "report_group_setting"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    grp: Mapped[str] = mapped_column(String(2), primary_key=True)
    unit_price: Mapped[int | None] = mapped_column(Integer)
    funding: Mapped[str | None] = mapped_column(String(20))
    set_by: Mapped[str] = mapped_column(String(40))
    set_at: Mapped[datetime] = mapped_column(DateTime)


class ReportSubmission(Base):
    """One submitted version of a monthly (period ``YYYY-MM``) or annual (``YYYY``) report: the figures frozen as
    canonical JSON with the data version they came from, signed by the head's key; immutable (triggers)."""

    __tablename__ = "report_submission"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # monthly | annual
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    figures: Mapped[str] = mapped_column(Text)
    data_version: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[str] = mapped_column(String(40))
    signer_key_id: Mapped[str | None] = mapped_column(
        String(64)
    )  # None: attested by password only (before 0014)
    signature: Mapped[str | None] = mapped_column(Text)  # base64 Ed25519 over reports.signature.signed_bytes
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("kind", "period", "version", name="uq_report_submission_version"),)


class MohCertificate(Base):
    """A QĐ 1551 signing certificate: the facility's (``owner = "@facility"``) or a doctor's (their user name).
    Only the facility's password or PIN is kept (``secret``, inside the encrypted database) so the station can
    sign the file offline; a doctor's PKCS#12 opens only with the password the doctor types at sign-off."""

    __tablename__ = "moh_certificate"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str] = mapped_column(String(10))
    certificate: Mapped[str] = mapped_column(Text)
    p12: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(Text)
    module: Mapped[str | None] = mapped_column(String(500))
    token_label: Mapped[str | None] = mapped_column(String(64))
    key_label: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_moh_certificate_owner", "owner", "active"),)


class MohPushStatus(Base):
    """What the hub last reported about one envelope pushed to the Ministry (by its ``msg_id``)."""

    __tablename__ = "moh_push_status"
    msg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    exam_id: Mapped[str] = mapped_column(String(64))
    exam_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    res_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[datetime | None] = mapped_column(DateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_moh_push_status_exam", "exam_id"),)


# -- QĐ 1551 data set (migration 0017) ---------------------------------------------------------------------------
class Moh1551Settings(Base):
    """The station's facility codes for the Ministry's health-check data set (QĐ 1551) and its data-link account
    (one row, id 1). The account's password is kept only here, inside the encrypted database: never in a file, a
    log or an error message."""

    __tablename__ = "moh1551_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ma_cskcb: Mapped[str | None] = mapped_column(String(5))
    ma_gtin_cskcb: Mapped[str | None] = mapped_column(String(13))
    province_code: Mapped[str | None] = mapped_column(String(3))
    account_user: Mapped[str | None] = mapped_column(String(100))
    account_password: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Moh1551Unsent(Base):
    """A signed exam version that was not queued for the Ministry, and why (the station had no certificates, or
    no facility codes, when the doctor signed): shown by ``ksk sync moh-status`` as "chưa gửi Bộ Y tế"."""

    __tablename__ = "moh1551_unsent"
    exam_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exam_version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(20))  # no_certificate | no_settings | invalid
    detail: Mapped[str | None] = mapped_column(
        Text
    )  # invalid: what the file lacks (field names, no personal data)
    at: Mapped[datetime] = mapped_column(DateTime)
