"""The proof of issue 16 §3 at full size, with real processes: a station's main laptop and its team laptop (two
data folders, one station, a real hub on loopback). The team takes an island day of 300 people, works offline —
check-ins, 150 signed exams, 5 walk-ins registered by CCCD scan (one of whom the main laptop registered the same
day too) — then comes home (A) through a transfer file, the import killed once mid-way, then both sync; (B)
through the hub only, each laptop's sync killed once mid-way; (C) through the hub first, then the file too.
Every case ends with the same state on both laptops and at the hub: each exam once, the walk-in one person,
coverage and the monthly report identical on both laptops. The killed runs, and the runs that resume after them,
are ``ksk`` itself in child processes; the other steps call the same core in this process (quicker)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, time

import pytest
from multidevice_support import FAST, ISLAND, TODAY, snapshot
from sqlalchemy import func, select
from testkit.faultproxy import FaultProxy
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, add_people, enroll, hub_rows, new_station
from testkit.waiting import wait_until

from conftest import run_ksk
from ksk_desktop.db.models import Appointment, ExamDay, OutboxItem, Person, SyncState
from ksk_desktop.exams.demo import sign_synthetic_exams
from ksk_desktop.exams.errors import SigningBlocked
from ksk_desktop.people import registration
from ksk_desktop.reports import monthly
from ksk_desktop.scheduling import campaigns, checkin, coverage, days, planner, sites
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.paths import StationPaths
from sync.client import station_apply, transfer
from sync.client.worker import SyncWorker

PEOPLE, EXAMS = 300, 150
#: Five walk-ins' citizen ID cards as their QR codes read (born 1960–1990 on the island); the first is
#: registered at the main desk the same day too.
WALK_INS = [
    f"03108{n}00{n}77{n}|1234567{n}{n}|Phạm Văn Đảo {n}|1503198{n}|Nam|Thôn Đảo, Xã Cát Hải, Thành phố Hải Phòng|"
    "01062021"
    for n in range(5)
]
TWICE_ID = WALK_INS[0].split("|")[0]


def ksk(paths: StationPaths, *args: str) -> subprocess.CompletedProcess:
    return run_ksk(*args, "--user", "admin", data_dir=paths.root, password=PASSWORD)


def ksk_cmd(paths: StationPaths, *args: str) -> tuple[list[str], dict]:
    env = dict(os.environ, KSK_DATA_DIR=str(paths.root), KSK_PASSWORD=PASSWORD)
    return [sys.executable, "-m", "ksk_desktop.cli.main", *args, "--user", "admin"], env


def signed_exams(doctor, person_ids: list[str], wanted: int) -> int:
    """Signed exams for the first *wanted* people whose synthetic values classify (a few do not: skipped)."""
    signed = 0
    for pid in person_ids:
        if signed == wanted:
            break
        try:
            signed += sign_synthetic_exams(doctor, PASSWORD, [pid], TODAY)
        except SigningBlocked:
            continue
    assert signed == wanted
    return signed


@pytest.fixture(scope="module")
def island(tmp_path_factory):
    """Both laptops after the island day (the team offline all day), and the hub before they come home: copied
    by each case."""
    root = tmp_path_factory.mktemp("island")
    hub = HubProcess(root / "hub" / "hub.db").start() if (root / "hub").mkdir() is None else None
    assert hub is not None
    db_url = f"sqlite:///{root / 'hub' / 'hub.db'}"
    try:
        main = login(new_station(root / "main", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
        team = login(new_station(root / "team", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
        for ctx in (main, team):
            enroll(ctx, db_url, hub.url)
        # The desk plans the island day; the team laptop takes it (and its people) through the hub before it leaves.
        add_people(main, PEOPLE, commune=ISLAND[1], seed=16)
        camp = campaigns.create_campaign(main, name="Khám đảo", year=TODAY.year, groups="a,b,c,d,đ")
        site = sites.add_site(main, name="Điểm khám Cát Hải", kind="island", capacity_per_hour=400)
        day = days.add_day(main, site_id=site.id, day=TODAY, today=TODAY, capacity_per_slot=60)
        planner.plan(main, camp.id, TODAY, TODAY, today=TODAY)
        for ctx in (main, team, main):
            assert SyncWorker(ctx, config=FAST).run_once().rejected == 0
        with team.read() as s:
            appts = list(s.scalars(select(Appointment.id).where(Appointment.day_id == day.id)))
            people = list(s.scalars(select(Appointment.person_id).where(Appointment.day_id == day.id)))
        assert len(appts) >= 200, len(appts)
        # The same day at the desk: the first walk-in came to the station too and was registered there.
        assert registration.register(main, WALK_INS[0], accept=True).status == "created"
        # On the island, offline: check-ins, walk-ins by CCCD scan, signed exams.
        for a in appts:
            checkin.checkin_by_appointment(team, a, today=TODAY)
        morning = datetime.combine(TODAY, time(10, 0))
        walk_ins = []
        for payload in WALK_INS:
            got = registration.register(team, payload, accept=True)
            assert got.status == "created" and got.person_id
            checkin.walk_in(team, got.person_id, day_id=day.id, now=morning)
            walk_ins.append(got.person_id)
        users.add_user(team, "bacsi", "doctor", PASSWORD, "BS. Đảo Xa", "000777/HP-CCHN")
        doctor = login(team.paths, "bacsi", PASSWORD)
        signed_exams(doctor, walk_ins + people, EXAMS)
        doctor.close()
        main.close()
        team.close()
    finally:
        hub.stop()
    return root


def case(island, tmp_path) -> tuple[HubProcess, StationPaths, StationPaths]:
    """A copy of both laptops and the hub after the island day, the hub running, both laptops pointed at it."""
    for name in ("hub", "main", "team"):
        shutil.copytree(island / name, tmp_path / name)
    hub = HubProcess(tmp_path / "hub" / "hub.db", log=tmp_path / "hub.log").start()
    hub.db_url = f"sqlite:///{tmp_path / 'hub' / 'hub.db'}"
    paths = StationPaths(tmp_path / "main"), StationPaths(tmp_path / "team")
    for p in paths:
        point_at(p, hub.url)
    return hub, *paths


def point_at(paths: StationPaths, url: str) -> None:
    ctx = login(paths, "admin", PASSWORD, record=False)
    with ctx.write() as s:
        s.get_one(SyncState, 1).hub_url = url
    ctx.close()


def sync(paths: StationPaths) -> None:
    ctx = login(paths, "admin", PASSWORD, record=False)
    try:
        report = SyncWorker(ctx, config=FAST).run_once()
        assert report.complete and report.rejected == 0, report
    finally:
        ctx.close()


def hand_over(src: StationPaths, dest: StationPaths, tmp_path, *, kill: bool = False) -> dict:
    """The team's results on a stick: exported here, imported there (with *kill*: ``ksk transfer import`` killed
    once inside its transaction, then run again to the end)."""
    stick = tmp_path / "usb" / "dao.ksktx"
    stick.parent.mkdir(exist_ok=True)
    ctx = login(src, "admin", PASSWORD, record=False)
    transfer.export(ctx, stick, since=0)
    ctx.close()
    if kill:
        from test_transfer import writing

        probe = login(dest, "admin", PASSWORD, record=False)
        before = snapshot(probe), count(probe, Person)
        held: list[bool] = []
        kill_when(
            ksk_cmd(dest, "transfer", "import", str(stick)),
            lambda: (
                held.append(writing(probe)) or held[-3:] == [True] * 3
            ),  # its transaction, not the login's
            "the import writing",
        )
        assert (snapshot(probe), count(probe, Person)) == before  # nothing half-written
        probe.close()
    if kill:  # the import run again, to the end, as the person at the desk would
        got = ksk(dest, "transfer", "import", str(stick), "--json")
        assert got.returncode == 0, got.stderr
        report = json.loads(got.stdout)
    else:
        ctx = login(dest, "admin", PASSWORD, record=False)
        report = transfer.import_file(ctx, stick)
        ctx.close()
    assert report["refused"] == 0 and report["waiting"] == 0, report
    return report


def kill_when(command: tuple[list[str], dict], ready, what: str) -> None:  # noqa: ANN001
    """Start *command* and SIGKILL it once ``ready()`` holds (no cleanup of any kind); it must still be running."""
    cmd, env = command
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: child.poll() is not None or ready(), timeout=120, interval=0.005, what=what)
    assert child.poll() is None, f"it finished before it could be killed ({what})"
    child.kill()
    child.wait(10)


def count(ctx, model) -> int:  # noqa: ANN001
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def killed_sync(paths: StationPaths, moved, hub_port: int) -> None:  # noqa: ANN001
    """``ksk sync run`` SIGKILLed once *moved(probe)* says it committed part of its work, then run to the end."""
    with FaultProxy(("127.0.0.1", hub_port), fail_rate=0.0, latency_s=0.05) as proxy:
        point_at(paths, proxy.url)
        probe = login(paths, "admin", PASSWORD, record=False)
        start = moved(probe)
        cmd, env = ksk_cmd(paths, "sync", "run", "--once")
        kill_when((cmd, env), lambda: moved(probe) > start, "part of the sync done")
        probe.close()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr


def sent(ctx) -> int:  # noqa: ANN001
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "sent")) or 0


def views(paths: StationPaths, *, cli: bool = False) -> tuple[dict, dict]:
    """Coverage of the year and the month's report on this laptop: as ``ksk`` prints them with *cli*, else from the
    same core functions in this process (quicker)."""
    if not cli:
        ctx = login(paths, "admin", PASSWORD, record=False)
        try:
            got = coverage.coverage(ctx, TODAY.year), monthly.build(ctx, TODAY.strftime("%Y-%m"))
            return stable(json.loads(json.dumps(got[0]))), stable(json.loads(json.dumps(got[1])))
        finally:
            ctx.close()
    cov = ksk(paths, "schedule", "coverage", "--year", str(TODAY.year), "--json")
    month = ksk(paths, "report", "monthly", "--month", TODAY.strftime("%Y-%m"), "--json")
    assert cov.returncode == 0 and month.returncode == 0, cov.stderr + month.stderr
    return stable(json.loads(cov.stdout)), stable(json.loads(month.stdout))


def stable(report: dict) -> dict:
    """A report without the moment it was made."""
    return {k: v for k, v in report.items() if k != "generated_at"}


def by_count(report: dict) -> dict:
    """A report's figures without its data digest (which names records by id: the walk-in registered on both
    laptops has two ids until the hub merges them)."""
    version = {k: v for k, v in report["data_version"].items() if k != "digest"}
    return report | {"data_version": version}


def the_same_everywhere(
    hub: HubProcess, main_paths: StationPaths, team_paths: StationPaths, *, cli: bool = False
) -> None:
    main = login(main_paths, "admin", PASSWORD, record=False)
    team = login(team_paths, "admin", PASSWORD, record=False)
    want = snapshot(main)
    assert snapshot(team) == want
    exams = [r for r in want["exams"] if r[2] == "signed"]
    assert len(exams) == EXAMS and len({e[0] for e in exams}) == EXAMS  # each exam once
    for ctx in (main, team):
        with ctx.read() as s:
            assert len(s.scalars(select(Person.id).where(Person.personal_id == TWICE_ID)).all()) == 1
            walk_ins = s.scalars(select(Appointment.person_id).where(Appointment.walk_in.is_(True))).all()
        assert len(walk_ins) == len(WALK_INS)
        assert count(ctx, ExamDay) == 1
    main.close()
    team.close()
    at_hub = [(k, e, v) for _i, k, e, v in hub_rows(hub.db_url) if k in ("exam", "amendment")]
    assert len(at_hub) == len(set(at_hub)) == EXAMS  # each exam once at the hub too
    assert views(main_paths, cli=cli) == views(team_paths, cli=cli)


def test_a_the_team_comes_home_with_a_file_the_import_killed_once_then_both_sync(island, tmp_path):
    hub, main, team = case(island, tmp_path)
    try:
        got = hand_over(team, main, tmp_path, kill=True)
        assert got["applied"] > EXAMS
        # Before any sync, the desk alone already counts the island's work as the team does.
        cov_main, month_main = views(main)
        cov_team, month_team = views(team)
        assert cov_main == cov_team and by_count(month_main) == by_count(month_team)
        for paths in (main, team, main, team):
            sync(paths)
        the_same_everywhere(hub, main, team, cli=True)
    finally:
        hub.stop()


def test_b_the_team_comes_home_through_the_hub_each_sync_killed_once(island, tmp_path):
    hub, main, team = case(island, tmp_path)
    try:
        killed_sync(team, sent, hub.port)  # killed while it delivers the island's work
        killed_sync(main, station_apply.item_cursor, hub.port)  # killed while it takes it in
        for paths in (main, team, main, team):
            point_at(paths, hub.url)
            sync(paths)
        the_same_everywhere(hub, main, team)
    finally:
        hub.stop()


def test_c_the_team_syncs_first_and_the_file_still_changes_nothing_twice(island, tmp_path):
    hub, main, team = case(island, tmp_path)
    try:
        sync(team)
        got = hand_over(team, main, tmp_path)
        assert got["applied"] > 0  # the desk had not synced: the file brings the island's work
        for paths in (main, team, main):
            sync(paths)
        the_same_everywhere(hub, main, team)
        # And the file read once more, after everything came through the hub: all repeats.
        again = hand_over(team, main, tmp_path)
        assert again["applied"] == 0 and again["repeated"] > EXAMS
        the_same_everywhere(hub, main, team)
    finally:
        hub.stop()
