"""The reference hub's SQLite file on disk: readable by its owner only, since it holds every station's people."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from ksk_desktop.fsio import file_lock

log = logging.getLogger("ksk.hub")


def private_sqlite_file(url: str) -> None:
    """Create the hub's SQLite file readable by its owner only (0600), and tighten an existing one: it holds
    every station's people. SQLite gives its -wal and -shm files the database file's permissions."""
    path = _sqlite_path(url)
    if path is None:
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
            log.warning("hub database file was readable by others: permissions set to 0600")
    finally:
        os.close(fd)


def _sqlite_path(url: str) -> str | None:
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL we can read: the engine will say why
        return None
    path = parsed.database
    if (
        not parsed.drivername.startswith("sqlite")
        or not path
        or path == ":memory:"
        or path.startswith("file:")
    ):
        return None
    return path


def schema_lock(url: str) -> contextlib.AbstractContextManager[None]:
    """Hubs and ``ksk hub`` commands opening one new SQLite file together take turns from their first connection
    on (a lock file beside it): the first one turns the file to WAL and creates the tables while the others wait
    — SQLite refuses the switch to WAL at once, without waiting, while another connection holds the file.
    PostgreSQL takes an advisory lock instead (``HubStore._create_schema``)."""
    path = _sqlite_path(url)
    return file_lock(Path(path + ".lock")) if path else contextlib.nullcontext()
