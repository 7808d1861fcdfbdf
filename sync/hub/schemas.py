"""Request and answer bodies of ``/api/v1`` (pydantic): they are what the OpenAPI document publishes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from sync.protocol import MAX_PUSH_ITEMS


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    api: str = Field(description="API version")
    time: str = Field(
        description="hub clock, UTC ISO-8601 (for information: ordering never uses device clocks)"
    )


class EnrollRequest(BaseModel):
    code: str = Field(
        min_length=4,
        max_length=64,
        description="one-time code the hub administrator issued for a registered station (one per device)",
    )
    station_code: str = Field(
        min_length=1, max_length=20, description="must be the station the code was issued for"
    )
    station_id: str = Field(min_length=1, max_length=36, description="the station install's UUID")
    commune_code: str | None = Field(
        default=None,
        max_length=5,
        description="the station's own commune, as a consistency check only: when given it must be one the "
        "hub's registry has for the station (409 otherwise). What a device reads and writes comes from the "
        "registry, never from this field",
    )


class EnrollAnswer(BaseModel):
    device_id: str
    token: str = Field(
        description="the device credential: sent as `Authorization: Bearer …`; the hub keeps only "
        "its SHA-256 and cannot show it again"
    )
    station_code: str
    commune_codes: list[str] = Field(
        default_factory=list, description="the communes the hub's registry has for the station"
    )


class PushItem(BaseModel):
    """One outbox item. Shape only: content problems are answered per item (rejected), never by failing the batch."""

    item_id: str = Field(max_length=64, description="client-generated UUID; a repeat is a duplicate forever")
    kind: str = Field(
        max_length=30,
        description="person | person_merge | consent | appointment | exam | amendment "
        "| referral | audit_head | doctor_key | report | campaign | site | exam_day | followup",
    )
    entity_id: str = Field(max_length=64)
    entity_version: int
    payload: Any = Field(default=None, description="the entity as JSON (audit_head: {seq, hash})")


class PushRequest(BaseModel):
    items: list[PushItem] = Field(max_length=MAX_PUSH_ITEMS)


class ItemResult(BaseModel):
    item_id: str
    status: Literal["accepted", "duplicate", "rejected", "known_elsewhere"] = Field(
        description="known_elsewhere: a person another station holds (same personal ID); the item is kept, "
        "the station's record is linked to that person and a handover request is recorded, and nothing of the "
        "other station's record is returned"
    )
    code: str | None = Field(default=None, description="machine-readable reason (rejected only)")
    reason: str | None = Field(
        default=None, description="why it was rejected, for a person to read (Vietnamese)"
    )
    merged_into: str | None = Field(
        default=None, description="person id this item's person now resolves to (records of the same station)"
    )
    warning: str | None = Field(default=None, description="audit_head: tamper evidence found")
    revision: int | None = Field(
        default=None,
        description="person: the hub's revision of the record, when it is now exactly what the device sent "
        "(the device sends it back as base_revision with its next change of the person)",
    )


class PushAnswer(BaseModel):
    results: list[ItemResult] = Field(description="exactly one per item sent, in the same order")
    count: int


class ChangeOut(BaseModel):
    seq: int
    type: Literal["roster", "merge"]
    entity_id: str
    data: dict[str, Any] = Field(
        description="roster: the person with the hub's revision; merge: {merged_id, kept_id, reason, kept} "
        "(kept: the kept person's record, or null when it is not this station's)"
    )


class ChangesAnswer(BaseModel):
    changes: list[ChangeOut]
    catalogue: list[dict[str, Any]] = Field(description="catalogue updates (none published yet)")
    next_cursor: int
    more: bool


class StationItemOut(BaseModel):
    seq: int = Field(description="the hub's order; the next request's cursor is the last seq applied")
    item_id: str = Field(
        description="the id the sending device gave the item: the same item arriving again "
        "(through the hub or a transfer file) is applied once"
    )
    kind: str = Field(
        description="consent | appointment | exam | amendment | referral | doctor_key | campaign | site | exam_day "
        "| followup"
    )
    entity_id: str
    entity_version: int
    device_id: str = Field(description="the station's device that delivered it")
    payload: Any = Field(description="the item's content as the device sent it")


class StationDeviceOut(BaseModel):
    device_id: str
    enrolled_at: str | None
    last_seen_at: str | None = Field(description="when the hub last heard from the device (UTC)")
    revoked: bool
    public_key: str | None = Field(
        default=None,
        description="the device's Ed25519 public key (base64): checks who signed a transfer file",
    )


class DeviceKeyRequest(BaseModel):
    public_key: str = Field(
        min_length=40, max_length=64, description="the device's Ed25519 public key, base64"
    )


class DeviceKeyAnswer(BaseModel):
    device_id: str
    station_key_id: str
    station_key: str = Field(
        description="the station's transfer key (AES-256, base64): encrypts transfer files to the station; given "
        "only to its enrolled devices"
    )


class StationItemsAnswer(BaseModel):
    items: list[StationItemOut]
    next_cursor: int
    more: bool
    remaining: int = Field(description="items after this page (for progress while catching up)")
    devices: list[StationDeviceOut] = Field(description="the station's enrolled devices")


class ErrorAnswer(BaseModel):
    detail: str


class MohPushOut(BaseModel):
    exam_id: str
    exam_version: int
    msg_id: str
    station_code: str
    state: Literal["pending", "waiting", "accepted", "duplicate", "parked", "stopped"] = Field(
        description="waiting: the person has not consented to sharing; duplicate: PS_CCCD_DUPLICATE_IN_6_MONTHS; "
        "parked: CM_INVALID_REQUEST (fix the data); stopped: PS_SIGNATURE_INVALID (the station's pushes stop)"
    )
    res_code: str | None
    message: str | None = Field(description="the Ministry's message_notify, or why the hub waits")
    deadline: str = Field(description="exam end + 24 hours (UTC, QĐ 1551)")
    answered_at: str | None
    overdue: bool
    attempts: int


class MohStatusAnswer(BaseModel):
    items: list[MohPushOut]
    stopped: str | None = Field(description="why the station's pushes are stopped, if they are")
