"""``ksk classify --json``: one JSON object of measurements in, one result object out; bad input → one line, exit ≠ 0.

Every test runs the real command line in a child process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ksk_desktop.cli import classify_cmds
from ksk_desktop.cli.main import build_parser, common_options
from ksk_desktop.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
ADULT = {
    "age": 45,
    "sex": "nam",
    "height_cm": 158.5,
    "weight_kg": 55,
    "HUYET_AP": "152/96",
    "pulse": 88,
    "KHONG_KINH_MAT_PHAI": "9/10",
    "KHONG_KINH_MAT_TRAI": "8/10",
    "dominant_hand": "phải",
}

# main() in a real child process.
LAUNCHER = "import sys\nfrom ksk_desktop.cli import main as m\nsys.exit(m.main(sys.argv[1:]))\n"


def _env(tmp_path: Path) -> dict[str, str]:
    # An empty data directory and no password: the command needs no database and no login.
    env = dict(os.environ, KSK_DATA_DIR=str(tmp_path / "no-station"))
    env.pop("KSK_PASSWORD", None)
    return env


def launch(stdin: str | bytes, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LAUNCHER, *(args or ("classify", "--json"))],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=120,
    )


def registered() -> bool:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return "classify" in sub.choices


def test_ksk_has_the_classify_command():
    assert registered()


def test_register_adds_the_command_to_a_parser():
    common = common_options()
    parser = argparse.ArgumentParser(prog="ksk", parents=[common])
    sub = parser.add_subparsers(dest="command")
    classify_cmds.register(sub, common)
    args = parser.parse_args(["classify", "--json"])
    assert args.handler is classify_cmds._classify and args.json is True
    assert parser.parse_args(["--json", "classify"]).command == "classify"


def test_run_writes_one_object():
    out = io.StringIO()
    assert classify_cmds.run(io.StringIO(json.dumps(ADULT)), out) == 0
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    result = json.loads(text)
    assert result["qd1613"]["suggested"]["roman"] == "IV"  # pulse 88 → III; 152/96 at 45 → IV (>150, 96–100)
    assert {f["code"] for f in result["flags"]} == {"tang_huyet_ap"}


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "Không có dữ liệu"),
        ('{"age": 40,', "không phải JSON hợp lệ"),
        ("[1, 2]", "MỘT đối tượng"),
        ('{"age": 40, "sex": "nam"} {"age": 41}', "không phải JSON hợp lệ"),
    ],
)
def test_read_measurements_refuses_what_is_not_one_object(stdin, message):
    with pytest.raises(InvalidInput, match=message):
        classify_cmds.read_measurements(io.StringIO(stdin))


def test_child_process_prints_the_result(tmp_path):
    proc = launch(json.dumps(ADULT, ensure_ascii=False), tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    result = json.loads(proc.stdout.decode("utf-8"))
    assert result["schema"] == "ksk.classify/1"
    th = next(i for i in result["qd1613"]["indices"] if i["code"] == "TH")
    assert th["class"] == 4
    assert result["blood_pressure"]["label"] == "Tăng huyết áp độ 1"
    assert result["bmi"]["value"] == 21.9


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("không phải json", "không phải JSON hợp lệ"),
        ("[]", "MỘT đối tượng"),
        ('{"sex": "nam", "height_cm": 160}', "Thiếu tuổi"),
        ('{"age": 30, "sex": "nam", "height_cm": "một mét sáu"}', "Chiều cao phải là một số"),
        (b"\xff\xfe{", "không phải JSON hợp lệ"),
    ],
)
def test_child_process_bad_input_is_one_vietnamese_line(tmp_path, stdin, message):
    proc = launch(stdin, tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == b""
    err = proc.stderr.decode("utf-8")
    assert err.count("\n") == 1 and err.startswith("Lỗi: ")
    assert message in err


def test_child_process_without_json_flag(tmp_path):
    proc = launch("{}", tmp_path, "classify")
    assert proc.returncode == 2
    assert "ksk classify --json" in proc.stderr.decode("utf-8")


def test_registered_ksk_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ksk_desktop.cli.main", "classify", "--json"],
        input=json.dumps(ADULT).encode(),
        capture_output=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["qd1613"]["suggested"]["class"] == 4
    bad = subprocess.run(
        [sys.executable, "-m", "ksk_desktop.cli.main", "classify", "--json"],
        input=b"{",
        capture_output=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.decode().startswith("Lỗi: ")
