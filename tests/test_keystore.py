"""Key slots: passwords and the recovery key unwrap the same database key; lock-out after failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.errors import AccountLocked, AuthenticationFailed, InvalidInput
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.paths import StationPaths


def test_password_and_recovery_key_unwrap_the_same_key(station):
    paths, recovery = station
    ks = KeyStore.load(paths.keys)
    assert ks.unwrap_with_password(ADMIN, ADMIN_PASSWORD) == ks.unwrap_with_recovery(
        recovery.lower().replace("-", " ")
    )


def test_wrong_recovery_key_is_refused(station):
    paths, recovery = station
    ks = KeyStore.load(paths.keys)
    wrong = ("A" if recovery[0] != "A" else "B") + recovery[1:]
    with pytest.raises(AuthenticationFailed):
        ks.unwrap_with_recovery(wrong)
    with pytest.raises(AuthenticationFailed):
        ks.unwrap_with_recovery("too-short")


def test_keystore_holds_no_key_or_password(station):
    paths, recovery = station
    ks = KeyStore.load(paths.keys)
    key = ks.unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    text = paths.keys.read_text()
    assert key.hex() not in text and ADMIN_PASSWORD not in text and recovery not in text


def test_lockout_after_five_failures_and_release_after_fifteen_minutes(station):
    paths, _ = station
    ks = KeyStore.load(paths.keys)
    now = SYSTEM_CLOCK.now()
    for i in range(4):
        with pytest.raises(AuthenticationFailed) as err:
            ks.unwrap_with_password(ADMIN, f"wrong-{i}", now=now)
        assert f"Còn {4 - i} lần" in err.value.message
    with pytest.raises(AccountLocked):
        ks.unwrap_with_password(ADMIN, "wrong-5", now=now)
    # Even the right password is refused while locked, and the lock survives a restart (it is on disk).
    with pytest.raises(AccountLocked) as err:
        KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD, now=now + timedelta(minutes=14))
    assert "15 phút" in err.value.message or "phút" in err.value.message
    later = now + timedelta(minutes=15, seconds=1)
    assert KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD, now=later)
    assert KeyStore.load(paths.keys).failures(ADMIN) == 0


def test_unknown_user_gets_the_same_message(station):
    paths, _ = station
    with pytest.raises(AuthenticationFailed) as err:
        login(paths, "nobody", "whatever-123")
    assert "Sai tên đăng nhập hoặc mật khẩu" in err.value.message


def test_password_change_rewraps_only_that_slot(admin_session):
    users.add_user(admin_session, "lan", "reception", "Le-tan-2026", "Nguyễn Thị Lan")
    before = json.loads(admin_session.paths.keys.read_text())["slots"]
    users.change_password(admin_session, "lan", "Mat-khau-moi-9")
    after = json.loads(admin_session.paths.keys.read_text())["slots"]
    assert after["user:lan"] != before["user:lan"]
    assert after["user:admin"] == before["user:admin"] and after["recovery"] == before["recovery"]
    with pytest.raises(AuthenticationFailed):
        login(admin_session.paths, "lan", "Le-tan-2026")
    login(admin_session.paths, "lan", "Mat-khau-moi-9").close()


def test_weak_passwords_are_refused(admin_session):
    for weak, reason in (("short", "ít nhất"), ("12345678", "dễ đoán"), ("xlan-2026x", "tên đăng nhập")):
        with pytest.raises(InvalidInput) as err:
            users.add_user(admin_session, "lan", "reception", weak)
        assert reason in err.value.message


def test_disabled_user_cannot_log_in(admin_session):
    users.add_user(admin_session, "minh", "doctor", "Bac-si-2026")
    users.set_active(admin_session, "minh", False)
    with pytest.raises(AuthenticationFailed) as err:
        login(admin_session.paths, "minh", "Bac-si-2026")
    assert "vô hiệu hóa" in err.value.message


def test_production_key_derivation_has_no_test_switch(tmp_path):
    """A Python started outside the test suite's fast-KDF site makes slots with the real Argon2id profile,
    whatever the environment says (the old test switch included)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"KSK_INSECURE_FAST_KDF": "1"}
    code = (
        "import json; from dataclasses import asdict; from ksk_desktop.security.kdf import default_params;"
        "print(json.dumps(asdict(default_params())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert json.loads(out.stdout) == {"time_cost": 3, "memory_kib": 192 * 1024, "parallelism": 2}


def test_the_suites_child_processes_make_fast_slots_that_open_here(tmp_path):
    """``ksk init`` run by a test (a child process) uses the fast profile; the slot opens in this process."""
    data = tmp_path / "station"
    made = run_ksk(
        "init",
        "--station-code",
        "TYT-KDF",
        "--commune-code",
        "10507",
        "--admin",
        ADMIN,
        data_dir=data,
        password=ADMIN_PASSWORD,
    )
    assert made.returncode == 0, made.stderr
    slots = json.loads((data / "keys.json").read_text(encoding="utf-8"))["slots"]
    assert slots and all(slot["kdf"]["time_cost"] == 1 for slot in slots.values())
    login(StationPaths(data), ADMIN, ADMIN_PASSWORD).close()
