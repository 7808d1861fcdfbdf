"""``ksk cccd parse --jsonl`` through a real child process: one JSON object out per JSON string in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "cccd-samples.jsonl"
V01 = (
    "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|"
    "Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng|10052021"
)


def run_jsonl(stdin: str | bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    # An empty, unwritable data directory proves the command needs no database and no login.
    env = dict(os.environ, KSK_DATA_DIR=str(tmp_path / "no-station"))
    env.pop("KSK_PASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "ksk_desktop.cli.main", "cccd", "parse", "--jsonl"],
        input=stdin.encode("utf-8") if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def outputs(proc: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode("utf-8").split("\n") if line]


def test_samples_give_one_object_per_line_in_order(tmp_path):
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").split("\n") if line.strip()]
    stdin = "".join(json.dumps(s["payload"]) + "\n" for s in samples)
    proc = run_jsonl(stdin, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = outputs(proc)
    assert len(out) == len(samples)
    for sample, obj in zip(samples, out, strict=True):
        assert obj["ok"] is (sample["expect"] == "ok"), sample["case"]
        if obj["ok"]:
            assert list(obj) == [
                "ok",
                "id",
                "old_id",
                "name",
                "dob",
                "sex",
                "address",
                "issued",
                "extra",
                "warnings",
            ]
            assert (obj["id"], obj["name"], obj["dob"], obj["sex"]) == (
                sample["id"],
                sample["name"],
                sample["dob"],
                sample["sex"],
            )
            assert isinstance(obj["extra"], list) and isinstance(obj["warnings"], list)
        else:
            assert list(obj) == ["ok", "error"] and obj["error"]


def test_full_output_of_one_payload(tmp_path):
    proc = run_jsonl(json.dumps(V01, ensure_ascii=False) + "\n", tmp_path)
    assert proc.returncode == 0
    assert outputs(proc) == [
        {
            "ok": True,
            "id": "031085999901",
            "old_id": "999888701",
            "name": "Nguyễn Văn Thử",
            "dob": "1985-04-15",
            "sex": "M",
            "address": "Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng",
            "issued": "2021-05-10",
            "extra": [],
            "warnings": [],
        }
    ]


def test_bad_lines_give_errors_and_processing_continues(tmp_path):
    lines = [
        "this is not json",
        json.dumps(V01),
        "123",
        '{"payload": "x"}',
        "",
        json.dumps("15082024||||"),
        '"unterminated',
        json.dumps("x" * 100_000),
        json.dumps("\ud800"),  # a lone surrogate, legal in JSON text
        json.dumps(V01.encode("utf-8").decode("latin-1")),
        json.dumps(V01) + "\r",  # Windows line ending
    ]
    proc = run_jsonl("\n".join(lines) + "\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = outputs(proc)
    assert [o["ok"] for o in out] == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
    ]
    for o in out:
        if not o["ok"]:
            assert isinstance(o["error"], str) and o["error"]
    assert out[1]["name"] == out[9]["name"] == "Nguyễn Văn Thử"


def test_invalid_utf8_on_stdin_is_an_error_line_not_a_crash(tmp_path):
    proc = run_jsonl(b'"\xff\xfe031085999901"\n' + json.dumps(V01).encode() + b"\n", tmp_path)
    assert proc.returncode == 0
    assert [o["ok"] for o in outputs(proc)] == [False, True]


def test_empty_input_gives_no_output_and_exit_0(tmp_path):
    proc = run_jsonl("", tmp_path)
    assert (proc.returncode, proc.stdout) == (0, b"")


def test_nothing_of_the_payload_reaches_stderr(tmp_path):
    bad = "031085999916|999888716|Lý Văn Cụ"
    proc = run_jsonl(json.dumps(bad) + "\n" + json.dumps(V01) + "\n", tmp_path)
    err = proc.stderr.decode("utf-8")
    assert "999916" not in err and "Lý Văn Cụ" not in err and "Nguyễn" not in err


def test_without_jsonl_flag_it_is_a_clear_error(tmp_path):
    env = dict(os.environ, KSK_DATA_DIR=str(tmp_path / "no-station"))
    proc = subprocess.run(
        [sys.executable, "-m", "ksk_desktop.cli.main", "cccd", "parse"],
        input=b"",
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "--jsonl" in proc.stderr.decode("utf-8")


@pytest.mark.parametrize("n", [2_000])
def test_many_lines_stream_through(tmp_path, n):
    proc = run_jsonl((json.dumps(V01) + "\n") * n, tmp_path)
    assert proc.returncode == 0
    assert len(outputs(proc)) == n
