"""Typed errors of exam entry and sign-off, each with a Vietnamese message for the doctor or nurse."""

from __future__ import annotations

from ksk_desktop.errors import InvalidInput, KskError, NotFound


class ExamNotFound(NotFound):
    """No exam (or no such version) with this id."""


class VersionConflict(KskError):
    """Someone saved the same part of the draft since the caller loaded it: reload, then save again."""

    exit_code = 15


class ExamSigned(KskError):
    """A signed exam version is immutable: a correction is an amendment."""

    exit_code = 16


class SigningBlocked(KskError):
    """The exam cannot be signed yet: required fields missing, implausible values not confirmed…"""

    exit_code = 17

    def __init__(
        self,
        message: str,
        missing: list[dict] | None = None,
        unconfirmed: list[dict] | None = None,
        errors: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.missing = missing or []
        self.unconfirmed = unconfirmed or []
        self.errors = errors or []


class InvalidSignature(KskError):
    """A signature, or a verification QR text, that does not check out."""

    exit_code = 18


class UnknownDiagnosis(InvalidInput):
    """An ICD-10 code that is not in the catalogue."""


class SigningKeyUnavailable(KskError):
    """The doctor's signing key cannot be opened or made: no licence number on record, or a key that the
    password that opens the account does not open."""

    exit_code = 19
