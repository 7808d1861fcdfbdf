"""What a pushed item's fields must be to fit the hub's tables, and the refusal of one item.

The checks are the columns' own limits (``sync.hub.models``), made explicit: PostgreSQL refuses a string
longer than its ``VARCHAR(n)``, an integer beyond its column or a NUL character, where SQLite stores them
all. Without these checks the same item would be accepted by a hub on SQLite and answered "hub error" by a
hub on PostgreSQL; with them, both refuse it with the same reason.
"""

from __future__ import annotations

from typing import TypeGuard

INT32_MAX = 2**31 - 1  # INTEGER columns: entity versions
INT64_MAX = 2**63 - 1  # BIGINT columns: audit-chain sequence numbers
ENTITY_ID_MAX = 64  # hub_item.entity_id, exam ids
PERSON_ID_MAX = 36  # person and consent ids (the stations' UUIDs)
COMMUNE_CODE_MAX = 5


class ItemRejected(Exception):
    """One item cannot be applied; the reason goes back to the station and is shown to a person there."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def fits(value: object, max_len: int, *, required: bool = True) -> TypeGuard[str]:
    """Whether *value* is a string the hub can store in a ``VARCHAR(max_len)`` on any backend (no control
    characters: PostgreSQL refuses NUL); empty only when not *required*."""
    return (
        isinstance(value, str)
        and len(value) <= max_len
        and value.isprintable()
        and (bool(value) or not required)
    )


def int_in_range(value: object, maximum: int) -> TypeGuard[int]:
    """A non-negative int (not a bool) no larger than *maximum*."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum
