"""The `ksk` command line as a contract: commands, JSON shapes, one-line errors and exit codes."""

from __future__ import annotations

import json

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk


def init(tmp_path, **extra):
    data = tmp_path / "st"
    out = run_ksk(
        "init",
        "--station-code",
        "TYT-01",
        "--commune-code",
        "10507",
        "--admin",
        ADMIN,
        "--json",
        data_dir=data,
        password=ADMIN_PASSWORD,
        **extra,
    )
    return data, out


def test_init_prints_the_recovery_key_once_and_never_stores_it(tmp_path):
    data, out = init(tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    key = result["recovery_key"]
    assert len(key) == 35 and key.count("-") == 5
    for f in data.iterdir():
        if f.is_file():
            assert key.encode() not in f.read_bytes()
    again = run_ksk(
        "init",
        "--station-code",
        "X",
        "--commune-code",
        "10507",
        "--admin",
        "a2",
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert again.returncode != 0 and "không ghi đè" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_init_with_password_on_stdin_and_human_output(tmp_path):
    data = tmp_path / "st"
    out = run_ksk(
        "init",
        "--station-code",
        "TYT-01",
        "--commune-code",
        "10507",
        "--admin",
        "Chu.Tram",
        "--password-stdin",
        data_dir=data,
        stdin="Mat-khau-tram-1\n",
    )
    assert out.returncode == 0, out.stderr
    assert "KHÓA KHÔI PHỤC" in out.stdout
    ok = run_ksk(
        "--user",
        "chu.tram",
        "--password-stdin",
        "station",
        "--json",
        data_dir=data,
        stdin="Mat-khau-tram-1\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["role"] == "admin"


def test_bad_input_gets_one_line_and_non_zero_exit(tmp_path):
    data = tmp_path / "st"
    cases = [
        (
            ("init", "--station-code", "T", "--commune-code", "99999", "--admin", ADMIN),
            ADMIN_PASSWORD,
            "danh mục",
        ),
        (("init", "--station-code", "T", "--commune-code", "10507", "--admin", ADMIN), "short", "ít nhất"),
        (("--user", ADMIN, "user", "list"), ADMIN_PASSWORD, "Chưa có trạm"),
        (("user", "list"), None, "--user"),
    ]
    for args, password, expected in cases:
        out = run_ksk(*args, data_dir=data, password=password)
        assert out.returncode != 0, args
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, out.stderr)
        assert "Traceback" not in out.stderr
    assert not (data / "station.db").exists()  # failed init left nothing half-made


def test_wrong_password_is_counted_and_locks_the_account(tmp_path):
    data, _ = init(tmp_path)
    for _ in range(5):
        out = run_ksk("--user", ADMIN, "user", "list", data_dir=data, password="Sai-mat-khau-9")
        assert out.returncode != 0
    out = run_ksk("--user", ADMIN, "user", "list", data_dir=data, password=ADMIN_PASSWORD)
    assert out.returncode != 0 and "tạm khóa" in out.stderr


def test_users_add_list_passwd(tmp_path):
    data, _ = init(tmp_path)
    add = run_ksk(
        "--user",
        ADMIN,
        "user",
        "add",
        "lan",
        "--role",
        "reception",
        "--full-name",
        "Nguyễn Thị Lan",
        "--json",
        data_dir=data,
        password=ADMIN_PASSWORD,
        env={"KSK_NEW_PASSWORD": "Le-tan-2026"},
    )
    assert add.returncode == 0, add.stderr
    assert json.loads(add.stdout)["role"] == "reception"
    listing = run_ksk("user", "list", "--json", "--user", ADMIN, data_dir=data, password=ADMIN_PASSWORD)
    rows = {r["username"]: r for r in json.loads(listing.stdout)}
    assert set(rows) == {"admin", "lan"} and rows["lan"]["full_name"] == "Nguyễn Thị Lan"
    # Reception may not list or add users; the core refuses, not just the UI.
    denied = run_ksk("--user", "lan", "user", "list", data_dir=data, password="Le-tan-2026")
    assert denied.returncode == 7 and "không có quyền" in denied.stderr
    # Own password change, old and new password both through stdin.
    pw = run_ksk(
        "--user",
        "lan",
        "--password-stdin",
        "user",
        "passwd",
        "lan",
        "--new-password-stdin",
        data_dir=data,
        stdin="Le-tan-2026\nMat-khau-moi-7\n",
    )
    assert pw.returncode == 0, pw.stderr
    assert run_ksk("--user", "lan", "station", data_dir=data, password="Mat-khau-moi-7").returncode == 0
    assert run_ksk("--user", "lan", "station", data_dir=data, password="Le-tan-2026").returncode != 0


def test_demo_creates_a_station_then_adds_people_when_logged_in(tmp_path):
    data = tmp_path / "demo"
    out = run_ksk("demo", "--people", "300", "--seed", "7", "--json", data_dir=data)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["created_station"] is True and result["total_people"] == 300
    from ksk_desktop.demo.seed import DEMO_SECRET

    again = run_ksk("demo", "--people", "10", data_dir=data)
    assert again.returncode != 0 and "--user" in again.stderr
    more = run_ksk(
        "--user", "truongtram", "demo", "--people", "200", "--json", data_dir=data, password=DEMO_SECRET
    )
    assert more.returncode == 0, more.stderr
    assert json.loads(more.stdout)["total_people"] == 500
    denied = run_ksk("--user", "letan", "demo", "--people", "5", data_dir=data, password=DEMO_SECRET)
    assert denied.returncode == 7
    check = run_ksk("--user", "admin", "db", "check", "--json", data_dir=data, password=DEMO_SECRET)
    assert check.returncode == 0 and json.loads(check.stdout)["ok"] is True


def test_person_add_show_is_audited(tmp_path):
    data, _ = init(tmp_path)
    add = run_ksk(
        "--user",
        ADMIN,
        "person",
        "add",
        "--name",
        "  Vũ   Thị Hồng  ",
        "--personal-id",
        "031190999977",
        "--dob",
        "05/03/1990",
        "--sex",
        "Nữ",
        "--json",
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert add.returncode == 0, add.stderr
    person = json.loads(add.stdout)
    assert person["name"] == "Vũ Thị Hồng" and person["dob"] == "1990-03-05" and person["sex"] == "F"
    dup = run_ksk(
        "--user",
        ADMIN,
        "person",
        "add",
        "--name",
        "Người Khác",
        "--personal-id",
        "031190999977",
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert dup.returncode == 9 and "…9977" in dup.stderr  # only the last 4 digits (ksk_desktop.redact)
    assert "031190999977" not in dup.stderr
    bad = run_ksk(
        "--user",
        ADMIN,
        "person",
        "add",
        "--name",
        "X Y",
        "--personal-id",
        "31190999977",
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert bad.returncode == 2 and "12 chữ số" in bad.stderr
    show = run_ksk(
        "--user", ADMIN, "person", "show", person["id"], "--json", data_dir=data, password=ADMIN_PASSWORD
    )
    assert json.loads(show.stdout)["personal_id"] == "031190999977"
    verify = run_ksk("--user", ADMIN, "audit", "verify", "--json", data_dir=data, password=ADMIN_PASSWORD)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True


def test_forgotten_password_is_reset_with_the_recovery_key(tmp_path):
    data, out = init(tmp_path)
    recovery = json.loads(out.stdout)["recovery_key"]
    for _ in range(5):  # locked out as well
        run_ksk("--user", ADMIN, "station", data_dir=data, password="Quen-mat-khau-1")
    bad = run_ksk(
        "user",
        "reset",
        ADMIN,
        "--recovery-key-stdin",
        "--new-password-stdin",
        data_dir=data,
        stdin="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF\nMat-khau-moi-88\n",
    )
    assert bad.returncode != 0 and "Khóa khôi phục không đúng" in bad.stderr
    ok = run_ksk(
        "user",
        "reset",
        ADMIN,
        "--recovery-key-stdin",
        "--new-password-stdin",
        data_dir=data,
        stdin=f"{recovery}\nMat-khau-moi-88\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert run_ksk("--user", ADMIN, "station", data_dir=data, password="Mat-khau-moi-88").returncode == 0


def test_security_policy_is_configurable_and_enforced(tmp_path):
    data, _ = init(tmp_path)
    out = run_ksk(
        "--user",
        ADMIN,
        "security",
        "--max-failures",
        "3",
        "--lockout-minutes",
        "30",
        "--idle-minutes",
        "5",
        "--json",
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"max_failures": 3, "lockout_minutes": 30, "idle_lock_minutes": 5}
    for _ in range(3):
        run_ksk("--user", ADMIN, "station", data_dir=data, password="Sai-mat-khau-9")
    locked = run_ksk("--user", ADMIN, "station", data_dir=data, password=ADMIN_PASSWORD)
    assert locked.returncode != 0 and "30 phút" in locked.stderr
    bad = run_ksk(
        "--user",
        ADMIN,
        "security",
        "--max-failures",
        "0",
        data_dir=tmp_path / "other",
        password=ADMIN_PASSWORD,
    )
    assert bad.returncode != 0
