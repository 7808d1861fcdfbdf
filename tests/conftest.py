"""Shared fixtures. Qt runs offscreen; key slots use a fast Argon2id profile (tests only), and the day the run
began on in Vietnam does not end before the run does, here and in every Python child process
(tests/testkit/childsite)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from datetime import date, datetime, time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from testkit import childsite  # noqa: E402

from ksk_desktop import thread_guard  # noqa: E402
from ksk_desktop.clock import SYSTEM_CLOCK, Clock, FixedClock  # noqa: E402
from ksk_desktop.station.lifecycle import init_station, login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402

childsite.install()
if not os.environ.get(childsite.DAY_ENDS_ENV):
    os.environ[childsite.DAY_ENDS_ENV] = childsite.day_end(SYSTEM_CLOCK.now()).isoformat()
childsite.hold_the_day(datetime.fromisoformat(os.environ[childsite.DAY_ENDS_ENV]))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(childsite.SITE_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)
# A child process given no data folder (a hub, a command without a station) must not write into the user's
# real one (its log file): the default data folder of the whole run is a temporary one.
_DEFAULT_DATA_DIR = tempfile.mkdtemp(prefix="ksk-tests-data-")
os.environ["KSK_DATA_DIR"] = _DEFAULT_DATA_DIR


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001 - pytest hook
    shutil.rmtree(_DEFAULT_DATA_DIR, ignore_errors=True)


ADMIN = "admin"
ADMIN_PASSWORD = "Quan-tri-2026"
COMMUNE = "10507"

#: The day the date-sensitive tests freeze their sessions' clock on (a Thursday), so that what they expect never
#: depends on the real date. Tests that run the real ``ksk`` in a child process cannot freeze it: they take
#: the real date (``SYSTEM_CLOCK.today()``) and derive what they expect from the same data; the run's day holds
#: until the run ends, in every process (``testkit.childsite``), so midnight in Vietnam cannot fall between
#: the test's "today" and the child's.
FROZEN_DAY = date(2026, 11, 26)


def frozen_clock(day: date = FROZEN_DAY, at: time = time(7, 0)) -> FixedClock:
    """A clock stopped at *at* on *day* in Vietnam (07:00: before the desk's first slot)."""
    return FixedClock.vietnam(datetime.combine(day, at))


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
def session_clock() -> Clock:
    """The clock the test's station and sessions run on: the system's. A module whose expectations depend on the
    date overrides this fixture with a ``frozen_clock()``, and logs in with ``clock=session_clock``."""
    return SYSTEM_CLOCK


@pytest.fixture
def station(paths: StationPaths, session_clock: Clock):
    """A fresh real station (encrypted file on disk); returns (paths, recovery_key)."""
    result = init_station(
        paths,
        clock=session_clock,
        station_code="TYT-TEST",
        commune_code=COMMUNE,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
        admin_full_name="Quản Trị",
    )
    return paths, result.recovery_key


@pytest.fixture
def admin_session(station, session_clock: Clock):
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD, clock=session_clock)
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
