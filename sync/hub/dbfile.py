"""The reference hub's SQLite file on disk: readable by its owner only, since it holds every station's people."""

from __future__ import annotations

import logging
import os

from sqlalchemy.engine import make_url

log = logging.getLogger("ksk.hub")


def private_sqlite_file(url: str) -> None:
    """Create the hub's SQLite file readable by its owner only (0600), and tighten an existing one: it holds
    every station's people. SQLite gives its -wal and -shm files the database file's permissions."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL we can read: the engine will say why
        return
    path = parsed.database
    if (
        not parsed.drivername.startswith("sqlite")
        or not path
        or path == ":memory:"
        or path.startswith("file:")
    ):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
            log.warning("hub database file was readable by others: permissions set to 0600")
    finally:
        os.close(fd)
