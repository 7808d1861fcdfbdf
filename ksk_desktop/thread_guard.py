"""A debugging guard: database work must not start on a thread the front end has forbidden (its GUI thread).

The core knows nothing of Qt. A front end that wants the check (the GUI in debug mode, and the test suite
always) registers the ident of its GUI thread with :func:`forbid_thread`; from then on every unit of work and
every connection taken from the pool on that thread raises :class:`DatabaseOnForbiddenThread`, and the
violation is also remembered in :data:`violations` (a test can assert the list is empty even when the GUI
caught the exception and only showed a message).

Code that is not part of the GUI may still use the database on that thread: a test preparing its data or
checking the result, like the command line, acts as another program would. The caller is the first frame
outside the core (``ksk_desktop``, ``sync``, SQLAlchemy, the standard context managers); calls whose caller's
file lies under one of the ``exempt`` folders pass.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import FrameType

_CORE_MODULES = ("ksk_desktop", "sync", "sqlalchemy", "sqlcipher3", "contextlib", "functools")

_forbidden: int | None = None
_exempt: tuple[str, ...] = ()
violations: list[str] = []


class DatabaseOnForbiddenThread(RuntimeError):
    """A programming error: the GUI called the database on its own thread (it must use its worker)."""


def forbid_thread(ident: int | None, *, exempt: tuple[Path, ...] = ()) -> None:
    """Forbid database work on thread *ident* (None: lift the ban); callers in files under *exempt* may."""
    global _forbidden, _exempt
    _forbidden = ident
    _exempt = tuple(str(Path(p).resolve()) for p in exempt)


def forbidden_thread() -> int | None:
    return _forbidden


def _is_core(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in _CORE_MODULES)


def _caller() -> tuple[str, str, int]:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and _is_core(str(frame.f_globals.get("__name__", ""))):
        frame = frame.f_back
    if frame is None:
        return "", "?", 0
    code = frame.f_code
    return str(Path(code.co_filename).resolve()), code.co_name, frame.f_lineno


def check() -> None:
    """Raise if database work starts on the forbidden thread from code that is not exempt."""
    if _forbidden is None or threading.get_ident() != _forbidden:
        return
    filename, function, line = _caller()
    if filename and any(filename.startswith(root) for root in _exempt):
        return
    where = f"{Path(filename).name}:{line} ({function})"
    violations.append(where)
    raise DatabaseOnForbiddenThread(
        f"database work on the GUI thread from {where}: run it with ui.ops.run_in_background"
    )
