"""Errors are one line and carry no personal data whole (``ksk_desktop.redact``): an identifier shows only its
last four characters, a name or a date of birth not at all (the desk shows who it is from a separate field).
Real ``ksk`` processes, and a check over the source that every error message keeps the rule."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.redact import tail

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = re.compile(
    r"personal_id|\bpid\b|phone|old_id|\bnumber\b|insurance|full_name|\['name'\]|card\.name|\bdob\b|\bhit\b"
)


def ksk(paths, *args: str):  # noqa: ANN001, ANN201
    return run_ksk("--user", ADMIN, *args, data_dir=paths.root, password=ADMIN_PASSWORD)


def one_line_without(out, *secrets: str) -> str:  # noqa: ANN001
    assert out.returncode != 0
    [line] = out.stderr.strip().splitlines()
    for secret in secrets:
        assert secret not in line, line
    return line


def test_the_command_line_shows_only_the_last_four_digits(station, tmp_path):
    paths, _ = station
    line = one_line_without(ksk(paths, "checkin", "--id-number", "031099000000"), "031099000000")
    assert "…0000" in line
    line = one_line_without(
        ksk(paths, "person", "add", "--name", "Lê Văn Cường", "--phone", "091234"), "091234"
    )
    assert "…1234" in line
    assert (
        ksk(paths, "person", "add", "--name", "Lê Văn Cường", "--personal-id", "031085999901").returncode == 0
    )
    line = one_line_without(
        ksk(paths, "person", "add", "--name", "Lê Văn Cường", "--personal-id", "031085999901"), "031085999901"
    )
    assert "…9901" in line
    line = one_line_without(ksk(paths, "checkin", "--id-number", "Nguyễn Văn An"), "Nguyễn")
    assert "không phải số định danh" in line


def test_the_desk_names_no_one_in_its_errors(station):
    paths, _ = station
    person = json.loads(
        ksk(paths, "person", "add", "--name", "Phạm Thị Dung", "--dob", "05/03/1985", "--json").stdout
    )
    line = one_line_without(ksk(paths, "checkin", "--person", person["id"]), "Phạm", "Dung", "05/03/1985")
    assert "Người này không có trong danh sách khám hôm nay" in line


def test_rejected_rows_give_reasons_without_the_values(station, tmp_path):
    import openpyxl

    paths, _ = station
    src = tmp_path / "ds.csv"
    src.write_text(
        "Họ và tên;Ngày sinh;Số CCCD;Số điện thoại\n"
        "Lê Văn 3;1980;;\n"
        "Lê Văn Bốn;31/02/1990;;\n"
        "Lê Văn Năm;1980;03108599A901;\n"
        "Lê Văn Sáu;1980;;09123456\n",
        encoding="utf-8",
    )
    report = tmp_path / "loai.xlsx"
    out = ksk(paths, "person", "import", str(src), "--report", str(report), "--json")
    assert json.loads(out.stdout)["rejected"] == 4
    reasons = [row[1] for row in openpyxl.load_workbook(report).active.iter_rows(min_row=2, values_only=True)]
    assert reasons[0] == "Họ và tên không hợp lệ (quá ngắn hoặc có chữ số)"
    assert reasons[1] == "Ngày sinh không tồn tại trên lịch"
    assert "…A901" in reasons[2] and "03108599" not in reasons[2]
    assert "…3456" in reasons[3] and "09123456" not in reasons[3]


def test_tail():
    assert tail("031085999901") == "…9901"
    assert tail(" 0912 345 678 ") == "…5678"
    assert tail("123") == "…" and tail(None) == "…"


def unmasked_personal_values(root: Path = ROOT) -> list[str]:
    """f-string parts of raised errors that interpolate something personal without ``tail(…)``."""
    found = []
    for package in ("ksk_desktop", "sync"):
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                # The message; ``who=`` is the desk's separate field, never printed by the command line.
                said = [*node.exc.args, *(k.value for k in node.exc.keywords if k.arg != "who")]
                for part in (p for arg in said for p in ast.walk(arg)):
                    if isinstance(part, ast.FormattedValue):
                        expr = ast.unparse(part.value)
                        if PERSONAL.search(expr) and not re.match(r"(tail|len)\(", expr):
                            found.append(f"{path.relative_to(root)}:{node.lineno}: {{{expr}}}")
    return found


def test_no_error_message_interpolates_a_personal_value_whole():
    assert unmasked_personal_values() == []


def test_the_checker_sees_a_planted_echo(tmp_path):
    core = tmp_path / "ksk_desktop"
    core.mkdir()
    (tmp_path / "sync").mkdir()
    (core / "bad.py").write_text(
        "def f(number, pid):\n"
        "    if number:\n"
        '        raise ValueError(f"Không có ai mang số {number}")\n'
        '    raise ValueError(f"Số {tail(pid)} và {len(pid)} ký tự")\n',
        encoding="utf-8",
    )
    assert unmasked_personal_values(tmp_path) == ["ksk_desktop/bad.py:3: {number}"]


def test_hub_enroll_code_refuses_days_out_of_range(tmp_path):
    db = str(tmp_path / "hub.db")
    for days in ("-3", "0", "91"):
        out = run_ksk(
            "hub", "enroll-code", "--db", db, "--station", "TYT-A", "--days", days, data_dir=tmp_path
        )
        assert out.returncode == 2, out.stdout
        [line] = out.stderr.strip().splitlines()
        assert "từ 1 đến 90" in line
