"""Where a station's files live: the data folder and the files inside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


def default_data_dir() -> Path:
    """``KSK_DATA_DIR`` if set, else the per-user, non-roaming data folder (``%LOCALAPPDATA%`` on Windows)."""
    env = os.environ.get("KSK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("KSK Desktop", "KSK", roaming=False))


@dataclass(frozen=True)
class StationPaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "station.db"

    @property
    def keys(self) -> Path:
        return self.root / "keys.json"

    @property
    def anchor(self) -> Path:
        return self.root / "audit-anchor.json"

    @property
    def device(self) -> Path:
        """This computer's own settings (the ticket printer, the room its desk calls into): not in the database."""
        return self.root / "device.json"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pending(self) -> Path:
        """The journal of files being written outside the data folder (exports, reports, PDFs): what a crash
        left half-written is removed when the station next opens (``fsio.sweep_pending``)."""
        return self.root / "pending-writes"

    def sidecars(self) -> list[Path]:
        return [self.db.with_name(self.db.name + suffix) for suffix in ("-wal", "-shm", "-journal")]

    def exists(self) -> bool:
        return self.keys.exists() or self.db.exists()
