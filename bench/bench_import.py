"""Import 100,000 rows: from .xlsx (target ≤ 30 s) and from .csv (target ≤ 10 s), peak RSS ≤ 600 MB.

Each import runs in its own child process on a fresh station so its time and peak memory are its own.
Run: .venv/bin/python bench/bench_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_DIR, machine  # noqa: E402

HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Số CMND",
    "Thôn / Tổ dân phố",
    "Địa chỉ thường trú",
    "Số điện thoại",
    "Số thẻ BHYT",
    "Đối tượng",
]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.importer import import_people
paths = StationPaths(Path(sys.argv[1]))
init_station(paths, station_code="B", commune_code="11680", admin_username="admin", admin_password="Bench-mark-26")
ctx = login(paths, "admin", "Bench-mark-26")
t = time.perf_counter()
r = import_people(ctx, Path(sys.argv[2]))
wall = time.perf_counter() - t
print(json.dumps({"seconds": wall, "created": r.created, "rejected": r.rejected,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def rows(n: int):
    from ksk_desktop.demo.synthetic import generate_people

    for i, p in enumerate(
        generate_people(n, seed=9, commune_code="11680", reference_date=date(2026, 1, 1)), 1
    ):
        dob = p["birth_date"].strftime("%d/%m/%Y") if p["birth_date"] else str(p["birth_year"])
        yield [
            i,
            p["full_name"],
            dob,
            "Nam" if p["sex"] == "M" else "Nữ",
            p["personal_id"] or "",
            p["old_id"] or "",
            p["hamlet"],
            p["permanent_address"],
            p["phone"] or "",
            p["insurance_no"] or "",
            p["target_group"],
        ]


def make_files(n: int) -> tuple[Path, Path]:
    import openpyxl

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    xlsx, csv_path = BENCH_DIR / f"import-{n}.xlsx", BENCH_DIR / f"import-{n}.csv"
    if not xlsx.exists():
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Danh sách")
        ws.append(["DANH SÁCH NGƯỜI DÂN (dữ liệu tổng hợp)"])
        ws.append(HEADER)
        for r in rows(n):
            ws.append(r)
        wb.save(xlsx)
    if not csv_path.exists():
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            w.writerows(rows(n))
    return xlsx, csv_path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    xlsx, csv_path = make_files(args.rows)
    env = dict(os.environ)
    print(f"machine: {machine()}")
    for path, target in ((xlsx, 30), (csv_path, 10)):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(Path(tmp) / "st"), str(path)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ok = r["seconds"] <= target and r["rss_mib"] <= 600
        print(
            f"{path.suffix:>5}: {args.rows:,} rows in {r['seconds']:.1f} s ({r['created']:,} created, "
            f"{r['rejected']} rejected), peak RSS {r['rss_mib']:.0f} MiB   target ≤ {target} s, ≤ 600 MiB: "
            f"{'OK' if ok else 'OVER'}"
        )


if __name__ == "__main__":
    main()
