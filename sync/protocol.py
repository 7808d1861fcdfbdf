"""What the station and the hub agree on: the API prefix, item kinds, answer statuses, header names.

Shared by the client and the reference hub; constants only (no HTTP library, no web framework). The item kinds
are the outbox's own, so that the two cannot disagree.
"""

from __future__ import annotations

import re

from ksk_desktop import outbox

API_PREFIX = "/api/v1"
API_VERSION = "1"

KINDS = outbox.KINDS  # what a station may send: the kinds its outbox holds
#: Kinds a device receives from its station's other devices (``/station-items``, docs/multi-device.md §1);
#: people and merges come through ``/changes``, audit heads stay each device's own.
REPLICATED_KINDS = frozenset(
    {
        "consent",
        "appointment",
        "exam",
        "amendment",
        "referral",
        "doctor_key",
        "campaign",
        "site",
        "exam_day",
        "followup",
    }
)
STATUSES = frozenset({"accepted", "duplicate", "rejected", "known_elsewhere"})
CHANGE_TYPES = frozenset({"roster", "merge"})

MAX_PUSH_ITEMS = 1000
MAX_PULL_LIMIT = 1000

# Used with .match(): each ends in \Z, not $ ($ also matches before a final newline: "031…901\n" passed), and
# spells its digits [0-9] (\d takes any script's digits: a full-width ０３１… passed as a personal ID).
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
SHA256_HEX_RE = re.compile(r"[0-9a-f]{64}\Z")
PERSONAL_ID_RE = re.compile(r"[0-9]{12}\Z")
