"""The exam document: the canonical JSON of one exam version (the shared contract of signing, ``ksk exam show``,
the sync payload, FHIR and the printed slips), and the bytes a signature covers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ksk_desktop.station.audit import canonical_json

KEYS = (
    "id",
    "version",
    "person_id",
    "appointment_id",
    "form",
    "form_version",
    "exam_date",
    "values",
    "confirmed",
    "assessment",
    "health_class",
    "health_class_reason",
    "diagnoses",
    "conclusion",
    "advice",
    "referrals",
    "followups",
    "status",
    "amends_version",
    "amendment_reason",
    "signed_by",
    "signer_name",
    "signed_at",
    "signer_key_id",
    "signature",
)
#: Top-level keys the conclusion section writes (the other sections write ``values``).
SECTION_DOCUMENT_KEYS = ("health_class_reason", "diagnoses", "conclusion", "advice")


def new_document(
    exam_id: str, person_id: str, appointment_id: str | None, form: str, form_version: int, exam_date: date
) -> dict[str, Any]:
    return {
        "id": exam_id,
        "version": 1,
        "person_id": person_id,
        "appointment_id": appointment_id,
        "form": form,
        "form_version": form_version,
        "exam_date": exam_date.isoformat(),
        "values": {},
        "confirmed": [],
        "assessment": None,
        "health_class": None,
        "health_class_reason": None,
        "diagnoses": [],
        "conclusion": "",
        "advice": "",
        "referrals": [],
        "followups": [],
        "status": "draft",
        "amends_version": None,
        "amendment_reason": None,
        "signed_by": None,
        "signer_name": None,
        "signed_at": None,
        "signer_key_id": None,
        "signature": None,
    }


def dumps(doc: dict[str, Any]) -> str:
    return canonical_json(doc)


def loads(text: str) -> dict[str, Any]:
    return json.loads(text)


def signed_bytes(doc: dict[str, Any]) -> bytes:
    """What the Ed25519 signature covers: the canonical JSON of the document without its ``signature`` key."""
    return canonical_json({k: v for k, v in doc.items() if k != "signature"}).encode("utf-8")
