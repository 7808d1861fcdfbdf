"""Lock-out holds against guesses made in parallel: twelve real ``ksk`` processes with wrong passwords, released
at the same moment, used to each read keys.json, fail, and write back "1 failure" — the account never locked.
Attempts are now counted under a file lock before the password is tried: no more than the policy allows are
ever tried, and the account locks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, run_ksk
from ksk_desktop.security.kdf import KdfParams
from ksk_desktop.station.lifecycle import init_station
from ksk_desktop.station.paths import StationPaths

GUESSERS = 12
# Each waits at the start line with everything imported, then logs in when the test says go.
GUESSER = textwrap.dedent(
    """
    import sys
    from ksk_desktop.cli import main as cli
    cli.build_parser()
    print("ready", flush=True)
    sys.stdin.readline()
    sys.exit(cli.main(sys.argv[1:]))
    """
)


def test_twelve_simultaneous_wrong_passwords_lock_the_account(tmp_path):
    paths = StationPaths(tmp_path / "station")
    # A slot a little slower than the suite's fast profile (still far below the real one): each guess spends
    # long enough on Argon2id for the twelve to overlap, as real guesses do.
    init_station(
        paths,
        station_code="TYT-TEST",
        commune_code=COMMUNE,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
        kdf=KdfParams(time_cost=2, memory_kib=16 * 1024, parallelism=1),
    )
    env = dict(os.environ, KSK_DATA_DIR=str(paths.root))
    guessers = []
    try:
        for i in range(GUESSERS):
            guessers.append(
                subprocess.Popen(
                    [sys.executable, "-c", GUESSER, "--user", ADMIN, "person", "count"],
                    env=dict(env, KSK_PASSWORD=f"doan-sai-{i}"),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        for g in guessers:
            assert g.stdout.readline().strip() == "ready"
        for g in guessers:  # go
            g.stdin.write("\n")
            g.stdin.flush()
        results = [(g.wait(timeout=120), g.stderr.read()) for g in guessers]
    finally:
        for g in guessers:
            g.kill()
            for pipe in (g.stdin, g.stdout, g.stderr):
                pipe.close()
    assert all(code == 6 for code, _ in results), results
    wrong = [err for _, err in results if "Sai tên đăng nhập hoặc mật khẩu" in err]
    locked = [err for _, err in results if "Tài khoản tạm khóa" in err]
    # Five attempts are allowed: four are told how many are left, the fifth locks the account, the other seven
    # are refused without their password being tried.
    assert len(wrong) == 4 and len(locked) == 8, results
    state = json.loads(paths.keys.read_text(encoding="utf-8"))["lockout"][ADMIN]
    assert state["failures"] == 5 and state["locked_until"]

    # Even the right password is refused now, until the lock-out ends or an administrator lifts it.
    right = run_ksk("--user", ADMIN, "person", "count", data_dir=paths.root, password=ADMIN_PASSWORD)
    assert right.returncode == 6 and "Tài khoản tạm khóa" in right.stderr


def test_a_right_password_clears_the_count_and_wrong_ones_are_counted_before_they_are_tried(station):
    paths, _ = station
    for i in range(3):
        out = run_ksk("--user", ADMIN, "person", "count", data_dir=paths.root, password=f"sai-{i}")
        assert out.returncode == 6 and f"Còn {4 - i} lần thử" in out.stderr
    assert json.loads(paths.keys.read_text(encoding="utf-8"))["lockout"][ADMIN]["failures"] == 3
    ok = run_ksk("--user", ADMIN, "person", "count", data_dir=paths.root, password=ADMIN_PASSWORD)
    assert ok.returncode == 0, ok.stderr
    assert ADMIN not in json.loads(paths.keys.read_text(encoding="utf-8"))["lockout"]


def test_a_guess_killed_half_way_still_counts(station):
    """Killing the process while its password is being tried does not take the attempt back."""
    paths, _ = station
    script = textwrap.dedent(
        """
        import os, sys
        from ksk_desktop.security import kdf
        from ksk_desktop.station.lifecycle import login
        from ksk_desktop.station.paths import StationPaths
        kdf.KdfParams.derive = lambda self, secret, salt: os._exit(9)  # killed while Argon2id runs
        from pathlib import Path
        login(StationPaths(Path(sys.argv[1])), "admin", "doan-sai")
        """
    )
    out = subprocess.run([sys.executable, "-c", script, str(paths.root)], capture_output=True, timeout=120)
    assert out.returncode == 9
    assert json.loads(paths.keys.read_text(encoding="utf-8"))["lockout"][ADMIN]["failures"] == 1
