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
    code: str = Field(min_length=4, max_length=64, description="one-time code from the hub administrator")
    station_code: str = Field(min_length=1, max_length=20)
    station_id: str = Field(min_length=1, max_length=36, description="the station install's UUID")
    commune_code: str | None = Field(
        default=None, max_length=5, description="decides which roster updates it pulls"
    )


class EnrollAnswer(BaseModel):
    device_id: str
    token: str = Field(
        description="the device credential: sent as `Authorization: Bearer …`; the hub keeps only "
        "its SHA-256 and cannot show it again"
    )
    station_code: str


class PushItem(BaseModel):
    """One outbox item. Shape only: content problems are answered per item (rejected), never by failing the batch."""

    item_id: str = Field(max_length=64, description="client-generated UUID; a repeat is a duplicate forever")
    kind: str = Field(
        max_length=30,
        description="person | person_merge | consent | appointment | exam | amendment "
        "| referral | audit_head | doctor_key",
    )
    entity_id: str = Field(max_length=64)
    entity_version: int
    payload: Any = Field(default=None, description="the entity as JSON (audit_head: {seq, hash})")


class PushRequest(BaseModel):
    items: list[PushItem] = Field(max_length=MAX_PUSH_ITEMS)


class ItemResult(BaseModel):
    item_id: str
    status: Literal["accepted", "duplicate", "rejected"]
    code: str | None = Field(default=None, description="machine-readable reason (rejected only)")
    reason: str | None = Field(
        default=None, description="why it was rejected, for a person to read (Vietnamese)"
    )
    merged_into: str | None = Field(default=None, description="person id this item's person now resolves to")
    warning: str | None = Field(default=None, description="audit_head: tamper evidence found")


class PushAnswer(BaseModel):
    results: list[ItemResult] = Field(description="exactly one per item sent, in the same order")
    count: int


class ChangeOut(BaseModel):
    seq: int
    type: Literal["roster", "merge"]
    entity_id: str
    data: dict[str, Any] = Field(
        description="roster: the person with the hub's revision; merge: {merged_id, kept_id, reason, kept}"
    )


class ChangesAnswer(BaseModel):
    changes: list[ChangeOut]
    catalogue: list[dict[str, Any]] = Field(description="catalogue updates (none published yet)")
    next_cursor: int
    more: bool


class ErrorAnswer(BaseModel):
    detail: str
