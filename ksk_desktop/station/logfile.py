"""The log file in the data folder (``logs/ksk.log``, rotated at 2 MB, three old files kept), set up by both
entry points: a GUI started from Windows without a console keeps its errors there.

Nothing personal goes in it. Log calls pass ids, counts and exception types, never names, ID numbers, phones
or payloads; and a traceback is written without its exception messages (:class:`NoPersonalDataFormatter`):
an exception's message may quote the value that caused it, while its type and frames say where to look.
The file and its folder are created only when there is something to write.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path
from types import TracebackType

from ksk_desktop.station.paths import StationPaths

LOG_NAME = "ksk.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 3
MESSAGE_LEFT_OUT = "(thông điệp lỗi không ghi vào nhật ký: có thể chứa dữ liệu cá nhân)"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d:%(threadName)s] %(message)s"
_OWN_LOGGERS = ("ksk", "ksk_desktop", "ui", "sync")
_restore: dict[str, int] = {}  # the root logger's level before configure()
_OURS = "_ksk_handler"  # marks the handlers this module installed, so configuring again replaces only them

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def log_path(paths: StationPaths) -> Path:
    return paths.logs / LOG_NAME


def scrubbed_traceback(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """The traceback as Python prints it (chained exceptions included), each exception reduced to its type."""
    return "".join(_chain(traceback.TracebackException(exc_type, exc, tb)))


def _chain(te: traceback.TracebackException) -> list[str]:
    out: list[str] = []
    if te.__cause__ is not None:
        out += _chain(te.__cause__)
        out.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif te.__context__ is not None and not te.__suppress_context__:
        out += _chain(te.__context__)
        out.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if te.stack:
        out.append("Traceback (most recent call last):\n")
        out.extend(te.stack.format())
    exc_type = te.exc_type
    name = f"{exc_type.__module__}.{exc_type.__qualname__}" if exc_type else "?"
    out.append(f"{name} {MESSAGE_LEFT_OUT}\n")
    return out


def where(tb: TracebackType | None) -> str:
    """The innermost frame of KSK Desktop's own code in *tb* as ``package/module.py:line (function)``, else the
    innermost frame: where a crash happened, for a one-line report."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "?"
    own = [f for f in frames if _own_path(f.filename)]
    frame = (own or frames)[-1]
    return f"{_own_path(frame.filename) or Path(frame.filename).name}:{frame.lineno} ({frame.name})"


def _own_path(filename: str) -> str | None:
    parts = Path(filename).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in ("ksk_desktop", "ui", "sync"):
            return "/".join(parts[i:])
    return None


class NoPersonalDataFormatter(logging.Formatter):
    """Formats tracebacks without exception messages (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may already have cached its own rendering of the traceback (with the messages) on
        # the record: render ours afresh, and leave the record as it was for the others.
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei) -> str:  # noqa: ANN001, N802 - logging's signature
        exc_type, exc, tb = ei
        if exc_type is None or exc is None:
            return ""
        return scrubbed_traceback(exc_type, exc, tb).rstrip("\n")


class _FolderCreatingHandler(logging.handlers.RotatingFileHandler):
    """Creates the logs folder (private to the user) only when the first record is written."""

    def _open(self):  # noqa: ANN202 - logging's signature
        folder = Path(self.baseFilename).parent
        if not folder.parent.exists():
            folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.mkdir(exist_ok=True, mode=0o700)
        return super()._open()


def configure(paths: StationPaths, *, console: bool = True) -> Path:
    """Send the process's log records (INFO and above) to the data folder's rotating log file, and WARNING and
    above to stderr when *console*. Replaces what an earlier call installed; leaves other handlers alone.
    Returns the log file's path."""
    unconfigure()
    root = logging.getLogger()
    formatter = NoPersonalDataFormatter(_FORMAT)
    path = log_path(paths)
    file_handler = _FolderCreatingHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(formatter)
    file_handler.addFilter(_ours_or_warning)
    handlers: list[logging.Handler] = [file_handler]
    if console and sys.stderr is not None:
        stderr_handler = logging.StreamHandler(sys.stderr)
        stderr_handler.setLevel(logging.WARNING)
        stderr_handler.setFormatter(NoPersonalDataFormatter("%(levelname)s %(name)s: %(message)s"))
        stderr_handler.addFilter(lambda record: not getattr(record, "file_only", False))
        handlers.append(stderr_handler)
    for handler in handlers:
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        _restore["level"] = root.level
        root.setLevel(logging.INFO)
    return path


def _ours_or_warning(record: logging.LogRecord) -> bool:
    """The app's own INFO records; other libraries' only from WARNING up (alembic announces every start)."""
    return record.levelno >= logging.WARNING or record.name.split(".")[0] in _OWN_LOGGERS


def unconfigure() -> None:
    """Remove (and close) the handlers :func:`configure` installed, and put back the root logger's level."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    if "level" in _restore:
        root.setLevel(_restore.pop("level"))


def log_unexpected(logger: logging.Logger, what: str, exc_info: ExcInfo, *, file_only: bool = False) -> None:
    """Record an exception nobody handled, with its scrubbed traceback; *file_only*: not on stderr too (the
    caller says it there in its own words)."""
    logger.critical(
        "%s: %s at %s",
        what,
        exc_info[0].__name__,
        where(exc_info[2]),
        exc_info=exc_info,
        extra={"file_only": file_only},
    )
