"""The GUI's log: the data folder's log file (``ksk_desktop.station.logfile``: rotating, no personal data), and
every error nobody handled sent there, so a Windows launch without a console keeps them: Python exceptions
in slots (``sys.excepthook``, through :func:`log_unhandled`) and threads (``threading.excepthook``), Qt's own
warnings (``qInstallMessageHandler``), and a hard crash's Python stacks (``faulthandler``, ``logs/fatal.log``)."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from ksk_desktop.station import logfile
from ksk_desktop.station.paths import StationPaths

log = logging.getLogger("ksk.ui")
qt_log = logging.getLogger("ksk.qt")

FATAL_LOG = "fatal.log"
_QT_LEVELS = {
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}  # debug and info messages are left out: chatter, not errors
_fatal_file = None
_previous: dict = {}


def install(paths: StationPaths) -> Path:
    """Set up the log file for this GUI process and route unhandled errors to it; returns the log's path.
    (``sys.excepthook`` stays with the caller, which also tells the user: it calls :func:`log_unhandled`.)
    :func:`uninstall` puts back what was there before."""
    path = logfile.configure(paths, console=sys.stderr is not None)
    _previous.setdefault("thread_hook", threading.excepthook)
    threading.excepthook = _thread_hook
    previous_qt = qInstallMessageHandler(qt_message)
    _previous.setdefault("qt_handler", previous_qt)
    _enable_faulthandler(paths)
    return path


def uninstall() -> None:
    """Undo :func:`install` (a test, or a host that embeds the GUI)."""
    global _fatal_file
    if "thread_hook" in _previous:
        threading.excepthook = _previous.pop("thread_hook")
    if "qt_handler" in _previous:
        qInstallMessageHandler(_previous.pop("qt_handler"))
    if _fatal_file is not None:
        faulthandler.disable()
        _fatal_file.close()
        _fatal_file = None
    logfile.unconfigure()


def log_unhandled(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    logfile.log_unexpected(log, "unhandled exception", (exc_type, exc, tb))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    logfile.log_unexpected(
        log, f"unhandled exception in thread {name}", (args.exc_type, args.exc_value, args.exc_traceback)
    )


def qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's warnings and errors into the log (with the Qt category and source place when Qt gives them)."""
    level = _QT_LEVELS.get(mode)
    if level is None:
        return
    where = f" ({context.file}:{context.line})" if context.file else ""
    qt_log.log(level, "%s: %s%s", context.category or "qt", message, where)


def _enable_faulthandler(paths: StationPaths) -> None:
    """A crash inside Qt or a driver kills the process before Python can log: faulthandler writes the Python
    stacks (frames only, no values) to ``logs/fatal.log`` at that moment."""
    global _fatal_file
    if _fatal_file is not None or faulthandler.is_enabled():  # already on (python -X faulthandler, pytest)
        return
    try:
        paths.logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        _fatal_file = open(paths.logs / FATAL_LOG, "a", encoding="utf-8")  # noqa: SIM115 - open for the process
        faulthandler.enable(_fatal_file, all_threads=True)
    except OSError:
        log.warning("fatal-error log unavailable", exc_info=True)
