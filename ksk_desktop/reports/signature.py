"""What the head signs when the station submits a report, and how anyone checks it — the station when it signs,
the hub when a ``report`` item arrives and each time it shows the report.

The signed bytes are a fixed prefix and the canonical JSON of the report's identity (kind, period, version,
station, commune), its frozen figures and the data version they came from, their SHA-256, the reason of a
correction, and who signed, when, with which key. A signature that verifies under the head's registered key
proves that the holder of that key — whoever knows the head's password on that station — submitted exactly these
figures for exactly this period and version; the hub's approval of the key ties it to the head by name.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature

from ksk_desktop.security.signer import load_public
from ksk_desktop.station.audit import canonical_json

PREFIX = b"ksk-report|"
SIGNED = (
    "kind",
    "period",
    "version",
    "station_code",
    "commune_code",
    "figures",
    "digest",
    "reason",
    "signed_by",
    "signed_at",
    "signer_key_id",
)


def signed_bytes(report: dict) -> bytes:
    """The bytes the head's key signs for *report* (a ``report`` item's payload, or the same fields as kept)."""
    figures = report.get("figures")
    fields = {k: report.get(k) for k in SIGNED}
    fields["data_version"] = figures.get("data_version") if isinstance(figures, dict) else None
    return PREFIX + canonical_json(fields).encode()


def verifies(report: dict, public_key_b64: str) -> bool:
    """Whether ``report["signature"]`` (base64) is the signature of *report* under the base64 raw public key."""
    try:
        load_public(base64.b64decode(public_key_b64, validate=True)).verify(
            base64.b64decode(str(report.get("signature")), validate=True), signed_bytes(report)
        )
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
