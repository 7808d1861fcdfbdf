"""CCCD / căn cước QR payloads: parsing, personal-ID structure, scanner-artefact repair (no Qt, no database)."""

from __future__ import annotations

from ksk_desktop.cccd.payload import MAX_PAYLOAD_CHARS, CccdCard, InvalidCccdPayload, parse_cccd
from ksk_desktop.cccd.personal_id import (
    PROVINCES,
    PersonalId,
    century_sex_digit,
    consistency_warnings,
    is_personal_id,
    split_id,
)
from ksk_desktop.cccd.repair import caps_lock_inverted, collapse_ime_artefacts, ime_artefacts, repair_mojibake

__all__ = [
    "MAX_PAYLOAD_CHARS",
    "PROVINCES",
    "CccdCard",
    "InvalidCccdPayload",
    "PersonalId",
    "caps_lock_inverted",
    "century_sex_digit",
    "collapse_ime_artefacts",
    "consistency_warnings",
    "ime_artefacts",
    "is_personal_id",
    "parse_cccd",
    "repair_mojibake",
    "split_id",
]
