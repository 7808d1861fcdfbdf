"""Typed values the core returns, and the one way they become JSON.

What the GUI and the command line read (a person's record, an exam's state, an exam day, the desk board, the
sync status…) is a frozen dataclass deriving from ``Shape``: readers use attributes, which mypy checks in the
core and a misspelt name fails loudly in the GUI, instead of a string key that quietly gives ``None``.
``to_json()`` makes the JSON that ``ksk … --json``, the audit log and the outbox carry: the fields in their
order are the keys in theirs, values are already JSON types (ISO text for dates), nested shapes and lists of
them are converted too. Two field options keep a JSON shape exactly as it was:

- ``optional()``: the key is left out while the value is None (a day read without its site has no
  ``site_name`` key, not ``"site_name": null``);
- ``not_in_json()``: a field the caller may set but that never leaves the process.

Where a dict must flow through unchanged (the exam document, signed and stored as JSON; a FHIR resource), it
stays a dict — a typed wrapper would only copy it.
"""

from __future__ import annotations

from dataclasses import MISSING, Field, field, fields
from typing import Any

_OMIT_IF_NONE = "omit_if_none"
_IN_JSON = "in_json"


def optional(default: Any = None) -> Any:
    """A field whose key is left out of the JSON while its value is None."""
    return field(default=default, metadata={_OMIT_IF_NONE: True})


def not_in_json(default: Any = MISSING) -> Any:
    """A field that is not part of the JSON shape."""
    return field(default=default, metadata={_IN_JSON: False})


class Shape:
    """Base of the core's typed values: ``to_json()`` from the dataclass fields, in order."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in _json_fields(type(self)):
            value = getattr(self, f.name)
            if value is None and f.metadata.get(_OMIT_IF_NONE):
                continue
            out[f.name] = jsonable(value)
        return out


def _json_fields(cls: type) -> list[Field[Any]]:
    return [f for f in fields(cls) if f.metadata.get(_IN_JSON, True)]


def jsonable(value: Any) -> Any:
    """*value* with every ``Shape`` in it (at any depth, in lists, tuples and dicts) turned into its JSON."""
    if isinstance(value, Shape):
        return value.to_json()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(jsonable(v) for v in value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
