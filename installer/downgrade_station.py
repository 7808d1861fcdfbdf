"""Take a station's database back to an older schema revision, as an older release would have left it: for
installer/smoke-bundle.sh, which then proves the bundle upgrades it (backup first). Runs with the dev venv's
Python (the bundle has no Alembic command line):

    .venv/bin/python installer/downgrade_station.py DATA_DIR REVISION      (password in KSK_PASSWORD)

Uses the migrations' own ``downgrade()`` steps, like tests/test_storage.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from alembic import command

from ksk_desktop.db import migrate
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.paths import StationPaths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("revision")
    parser.add_argument("--user", default="admin")
    args = parser.parse_args(argv)
    ctx = login(StationPaths(args.data_dir), args.user, os.environ["KSK_PASSWORD"])
    try:
        cfg = migrate.alembic_config()
        with ctx.db.engine.connect().execution_options(ksk_write=True) as conn, conn.begin():
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, args.revision)
        with ctx.db.engine.connect() as conn:
            print(f"revision: {migrate.current_revision(conn)}")
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
