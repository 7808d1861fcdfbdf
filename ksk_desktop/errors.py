"""Typed exceptions raised by the core. Each carries a Vietnamese message for the person in front of the app.

The GUI shows ``str(exc)``; the CLI prints it on one line and exits non-zero with ``exc.exit_code``. A message
makes sense in both faces: it says what to do, never which command or which button does it. Where there is
one thing to do, ``remedy`` names it (a :class:`Remedy`), and each face may add how it is done there (the CLI
adds its command: ``ksk_desktop.cli.hints``).
"""

from __future__ import annotations

from enum import StrEnum


class Remedy(StrEnum):
    """The one action that resolves an error, for a face to point at."""

    SET_UP_STATION = "station.set_up"
    ADD_EXAM_DAY = "day.add"
    SET_CAPACITY = "site.capacity"
    CREATE_CAMPAIGN = "campaign.create"
    CHECK_IN = "checkin"
    AMEND_EXAM = "exam.amend"
    IMPORT_ICD10 = "icd.import"
    ENROL_SYNC = "sync.enroll"
    SET_MOH_CODES = "station.moh_settings"


class KskError(Exception):
    """Base class: every expected failure the user can act on."""

    exit_code = 1

    def __init__(self, message: str, *, remedy: Remedy | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy


class InvalidInput(KskError):
    exit_code = 2


class StationNotFound(KskError):
    exit_code = 3


class StationExists(KskError):
    exit_code = 3


class NotAKskDatabase(KskError):
    exit_code = 4


class DatabaseTampered(KskError):
    exit_code = 4


class DatabaseTooNew(KskError):
    exit_code = 4


class UnsafeDatabaseSettings(KskError):
    exit_code = 4


class StorageError(KskError):
    """The disk refused a write (read-only, full, I/O error); nothing was half-written."""

    exit_code = 5


class DatabaseBusy(KskError):
    """Another program (or another copy of the app) held the database's write lock for longer than the
    busy timeout; nothing was written, and trying again in a moment usually works."""

    exit_code = 19

    def __init__(self, message: str = "Cơ sở dữ liệu đang bận, vui lòng thử lại sau giây lát.") -> None:
        super().__init__(message)


class AuthenticationFailed(KskError):
    exit_code = 6


class AccountLocked(KskError):
    exit_code = 6


class PermissionDenied(KskError):
    exit_code = 7


class SessionClosed(PermissionDenied):
    """The session was locked or logged out: its key is gone."""


class NotFound(KskError):
    exit_code = 8


class DuplicatePerson(KskError):
    exit_code = 9


class BackupError(KskError):
    exit_code = 10
