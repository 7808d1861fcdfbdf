"""Shared fixtures. Qt runs offscreen; key slots use the fast Argon2id profile (tests only)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KSK_INSECURE_FAST_KDF"] = "1"

import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from ksk_desktop import thread_guard  # noqa: E402
from ksk_desktop.station.lifecycle import init_station, login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402

ADMIN = "admin"
ADMIN_PASSWORD = "Quan-tri-2026"
COMMUNE = "10507"

# The GUI thread (pytest's main thread, where pytest-qt runs Qt) may not touch the database from GUI code:
# every slot, constructor and paint must hand its database work to ui.ops. The tests themselves may
# (preparing data, checking results), as another program would.
GUARD_EXEMPT = (Path(__file__).resolve().parent,)
thread_guard.forbid_thread(threading.get_ident(), exempt=GUARD_EXEMPT)


@pytest.fixture(autouse=True)
def _no_database_work_on_the_gui_thread():
    """Fail any test during which GUI code touched the database on the GUI thread, even if the GUI caught
    the error and only showed a message."""
    before = len(thread_guard.violations)
    yield
    found = thread_guard.violations[before:]
    del thread_guard.violations[before:]
    assert not found, f"database work on the GUI thread: {found}"


@pytest.fixture
def paths(tmp_path: Path) -> StationPaths:
    return StationPaths(tmp_path / "station")


@pytest.fixture
def station(paths: StationPaths):
    """A fresh real station (encrypted file on disk); returns (paths, recovery_key)."""
    result = init_station(
        paths,
        station_code="TYT-TEST",
        commune_code=COMMUNE,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
        admin_full_name="Quản Trị",
    )
    return paths, result.recovery_key


@pytest.fixture
def admin_session(station):
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    yield ctx
    if not ctx.closed:
        ctx.close()


def run_ksk(
    *args: str, data_dir: Path, password: str | None = None, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the real ``ksk`` command line in a child process."""
    full_env = dict(os.environ, KSK_DATA_DIR=str(data_dir))
    full_env.pop("KSK_PASSWORD", None)
    if password is not None:
        full_env["KSK_PASSWORD"] = password
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ksk_desktop.cli.main", *args],
        input=stdin or "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )


@pytest.fixture(scope="session")
def medplum(tmp_path_factory):
    """The FHIR test peer (Medplum's engine behind tests/peers/medplum/server.mjs) on loopback, for the session."""
    from testkit.fhirpeer import FhirPeer, node_present

    if not node_present():
        pytest.skip("Node.js is not installed on this machine: the Medplum FHIR peer cannot run")
    peer = FhirPeer(log=tmp_path_factory.mktemp("medplum") / "medplum.log").start()
    yield peer
    peer.stop()
