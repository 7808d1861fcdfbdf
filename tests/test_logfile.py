"""The log file in the data folder: written by the command line, rotated, and free of personal data — even
when a crash's exception message quotes a person."""

from __future__ import annotations

import json
import logging

import pytest

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.cli.main import main
from ksk_desktop.people import persons
from ksk_desktop.station import logfile
from ksk_desktop.station.paths import StationPaths

NAME, CCCD, PHONE = "Trịnh Thị Đánh Dấu", "031199887766", "0912345678"
CARD = f"{CCCD}|999888702|{NAME}|15041985|Nữ|Số 9 Phố Dấu Vết, Phường Hồng Bàng, Thành phố Hải Phòng|10052021"
SECRETS = (NAME, "Đánh Dấu", "danh dau", CCCD, PHONE, "999888702", "Phố Dấu Vết")


def logged(data_dir) -> str:
    files = sorted((data_dir / "logs").glob("ksk.log*"))
    assert files, "no log file was written"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


@pytest.fixture
def own_logging():
    """Whatever configure() installs in this process is removed after the test."""
    yield
    logfile.unconfigure()


def test_a_cli_journey_with_a_person_leaves_no_personal_data_in_the_log(station):
    paths, _ = station
    data = paths.root

    def ksk(*args: str) -> str:
        out = run_ksk("--user", ADMIN, *args, data_dir=data, password=ADMIN_PASSWORD)
        assert out.returncode == 0, out.stderr
        return out.stdout

    pid = json.loads(ksk("person", "add", "--name", NAME, "--personal-id", CCCD, "--phone", PHONE, "--json"))[
        "id"
    ]
    ksk("person", "show", pid)
    ksk("person", "search", "danh dau")
    ksk("person", "search", CCCD)
    ksk("register", "--payload", CARD, "--json")
    refused = run_ksk(
        "--user",
        ADMIN,
        "person",
        "add",
        "--name",
        NAME,
        "--personal-id",
        CCCD,
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert refused.returncode != 0  # a duplicate: the message on stderr may name the person, the log may not
    log = logged(data)
    assert (
        "ksk person add: exit 0" in log
        and "ksk register: exit 0" in log
        and "ksk person search: exit 0" in log
    )
    assert f"ksk person add: exit {refused.returncode}" in log
    assert [s for s in SECRETS if s.lower() in log.lower()] == []


def test_an_unexpected_error_is_one_line_on_stderr_and_its_traceback_goes_to_the_log(
    station, monkeypatch, capsys, own_logging
):
    paths, _ = station
    monkeypatch.setenv("KSK_DATA_DIR", str(paths.root))
    monkeypatch.setenv("KSK_PASSWORD", ADMIN_PASSWORD)

    def broken_get_person(ctx, person_id):  # noqa: ANN001, ANN202 - a bug whose messages quote a person
        try:
            {PHONE: 1}[NAME]
        except KeyError as exc:
            raise ValueError(f"{NAME} ({CCCD}) could not be shown") from exc

    monkeypatch.setattr(persons, "get_person", broken_get_person)
    assert main(["--user", ADMIN, "person", "show", "0191e0a4-0000-7000-8000-000000000000"]) == 70
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert (
        "Lỗi không mong đợi (ValueError tại tests/test_logfile.py" not in err
    )  # only the app's own code is named
    assert err.startswith("Lỗi không mong đợi (ValueError tại ksk_desktop/cli/person_cmds.py:")
    assert str(logfile.log_path(paths)) in err
    log = logged(paths.root)
    assert (
        "CRITICAL ksk [" in log and "unexpected error: ValueError at ksk_desktop/cli/person_cmds.py:" in log
    )
    # The whole chain, frame by frame, with each exception's type and none of their messages.
    assert "builtins.KeyError" in log and "builtins.ValueError" in log and "direct cause" in log
    assert "broken_get_person" in log and "person_cmds.py" in log
    assert [s for s in SECRETS if s in log] == []  # (the source lines show the code, not the values)
    assert "ksk person show: exit 70" in log


def test_the_log_file_rotates_and_keeps_three_old_files(tmp_path, monkeypatch, own_logging):
    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    paths = StationPaths(tmp_path / "data")
    path = logfile.configure(paths, console=False)
    assert not paths.root.exists()  # nothing is created before something is written
    log = logging.getLogger("ksk.test")
    for i in range(200):
        log.info("line %03d %s", i, "x" * 60)
    logfile.unconfigure()
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["ksk.log", "ksk.log.1", "ksk.log.2", "ksk.log.3"]
    assert all(p.stat().st_size <= 2000 for p in path.parent.iterdir())
    assert "line 199" in path.read_text(encoding="utf-8")
    assert (paths.logs.stat().st_mode & 0o777) == 0o700


def test_configuring_again_replaces_only_its_own_handlers(tmp_path, own_logging):
    other = logging.NullHandler()
    root = logging.getLogger()
    root.addHandler(other)
    level = root.level
    try:
        logfile.configure(StationPaths(tmp_path / "a"), console=True)
        logfile.configure(StationPaths(tmp_path / "b"), console=True)
        ours = [h for h in root.handlers if getattr(h, "_ksk_handler", False)]
        assert len(ours) == 2 and other in root.handlers
        assert [h.baseFilename for h in ours if hasattr(h, "baseFilename")] == [
            str(tmp_path / "b" / "logs" / "ksk.log")
        ]
        logfile.unconfigure()
        assert [h for h in root.handlers if getattr(h, "_ksk_handler", False)] == [] and root.level == level
    finally:
        root.removeHandler(other)
