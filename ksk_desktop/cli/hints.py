"""How the command line does what a core error asks for: the ``ksk`` command beside the core's message.

The core's messages make sense in the app and here alike; only the command line knows its commands.
"""

from __future__ import annotations

from ksk_desktop.errors import KskError, Remedy

COMMANDS = {
    Remedy.SET_UP_STATION: "ksk init, hoặc ksk demo cho trạm mẫu",
    Remedy.ADD_EXAM_DAY: "ksk day add",
    Remedy.SET_CAPACITY: "ksk site edit --capacity N, hoặc ksk day add --capacity-per-slot N",
    Remedy.CREATE_CAMPAIGN: "ksk campaign create",
    Remedy.CHECK_IN: "ksk checkin --appointment MÃ",
    Remedy.AMEND_EXAM: "ksk exam amend",
    Remedy.IMPORT_ICD10: "ksk icd import",
    Remedy.ENROL_SYNC: "ksk sync enroll",
    Remedy.SET_MOH_CODES: "ksk station moh-settings --ma-cskcb MÃ, hoặc --facility-code MÃ",
}


def error_line(exc: KskError) -> str:
    """The core's message with the command that resolves it, e.g. "… thêm ngày khám trước (ksk day add)."."""
    command = COMMANDS.get(exc.remedy) if exc.remedy else None
    if command is None:
        return exc.message
    text = exc.message.rstrip()
    end = "." if text.endswith(".") else ""
    return f"{text.removesuffix('.')} ({command}){end}"
