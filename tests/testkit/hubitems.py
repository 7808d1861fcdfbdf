"""Push items as a station sends them, for tests that talk to the hub directly (its store or its API)."""

from __future__ import annotations

import uuid


def item(kind: str, entity_id: str, payload: dict | None, version: int = 1) -> dict:
    return {
        "item_id": str(uuid.uuid4()),
        "kind": kind,
        "entity_id": entity_id,
        "entity_version": version,
        "payload": payload,
    }


def person_item(
    pid: str | None = None,
    *,
    personal_id: str | None = None,
    name: str = "Nguyễn Văn An",
    version: int = 1,
    commune: str = "10507",
    **fields,  # noqa: ANN003
) -> dict:
    """A person item (the station's person JSON); *fields* override the payload's keys."""
    pid = pid or str(uuid.uuid4())
    payload = {
        "id": pid,
        "name": name,
        "personal_id": personal_id,
        "version": version,
        "flags": [],
        "commune_code": commune,
        **fields,
    }
    return item("person", pid, payload, version)


def consent_item(
    person_id: str, consent_id: str | None = None, *, active: bool = True, version: int = 1
) -> dict:
    """A consent to share with the health record (``ehr_share``), given or (``active=False``) withdrawn."""
    cid = consent_id or str(uuid.uuid4())
    payload = {"id": cid, "person_id": person_id, "kind": "ehr_share", "active": active, "given_by": "self"}
    return item("consent", cid, payload, version)
