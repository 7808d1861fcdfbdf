""" "Đăng xuất" after the dialogs of a working day does not crash the application (it once ended with a
segmentation fault, exit 139): the real flow in a child process (``tests/logout_journey.py``), twice in a row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import COMMUNE, FROZEN_DAY
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.station import users

HEAD = ("truongtram", "Truong-tram-2026")
CHILD = Path(__file__).resolve().parent / "logout_journey.py"


def test_log_out_twice_after_cards_scans_and_the_drill_down_exits_cleanly(station, admin_session):
    paths, _ = station
    rows = generate_people(40, seed=7, commune_code=COMMUNE, reference_date=FROZEN_DAY)
    persons.create_many(admin_session, [persons.PersonInput.from_dict(p) for p in rows])
    users.add_user(admin_session, HEAD[0], "head", HEAD[1], "BS. Trưởng Trạm")
    admin_session.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KSK_DEBUG_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(CHILD.parent), *filter(None, [env.get("PYTHONPATH")])])
    result = subprocess.run(
        [sys.executable, str(CHILD), str(paths.root), *HEAD],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("OK"), (
        result.returncode,
        result.stderr[-3000:],
    )
