"""The Ministry portal's Excel: 5,000 signed exams into the 103-column KSK template (target ≤ 20 s).

A demo station with 8,000 synthetic people is made once (bench/out/station-moh-8000), and 5,000 of its people
with a personal ID get a complete signed exam (real signatures) on one day of their own; the export of that day
into the synthetic template (tests/testkit/moh_template.py: the real template's layout, its ICD sheet padded to
the real 35,735 rows) is then timed, with its
parts: reading the template, reading and building the rows, filling and writing the .xlsm files.

Run: .venv/bin/python bench/bench_moh_export.py [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sqlalchemy import text  # noqa: E402
from testkit.moh_template import make_template  # noqa: E402

from bench.common import BENCH_DIR, machine, peak_rss_mib  # noqa: E402
from ksk_desktop.db.models import Person  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET, create_demo  # noqa: E402
from ksk_desktop.exams import keys  # noqa: E402
from ksk_desktop.exams.demo import _sign_new  # noqa: E402
from ksk_desktop.exams.errors import SigningBlocked  # noqa: E402
from ksk_desktop.reports import moh_export  # noqa: E402
from ksk_desktop.reports.moh_rows import RowContext  # noqa: E402
from ksk_desktop.reports.moh_template import fill, open_template  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402

EXAMS = 5000
DAY = date(2026, 3, 16)


def station() -> StationPaths:
    root = BENCH_DIR / "station-moh-8000"
    paths = StationPaths(root)
    if not (root / "ready").exists():
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        create_demo(paths, 8000)
        doctor = login(paths, "bacsi", DEMO_SECRET)
        try:
            with doctor.read() as s:
                ids = list(
                    s.execute(
                        text(
                            "SELECT id FROM person WHERE personal_id IS NOT NULL AND birth_year BETWEEN :y - 55 AND :y "
                            "ORDER BY id LIMIT :n"
                        ),
                        {"n": EXAMS * 2, "y": DAY.year - 22},
                    ).scalars()
                )
            signer = keys.unlock(doctor, DEMO_SECRET)
            rng = random.Random(2026)
            signed = 0
            with doctor.write() as s:
                for person_id in ids:
                    if signed == EXAMS:
                        break
                    try:
                        with s.begin_nested():  # a synthetic exam the classifier cannot class is left out
                            _sign_new(doctor, signer, s, rng, s.get_one(Person, person_id), None, DAY)
                        signed += 1
                    except SigningBlocked:
                        pass
        finally:
            doctor.close()
        (root / "ready").write_text("ok")
        print(f"(made the station with {signed:,} signed exams in {time.perf_counter() - t:.0f} s at {root})")
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    paths = station()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        template = make_template(Path(tmp) / "Import_KSK_Tren 18.xlsm", catalogue_rows=35_735)
        head = login(paths, "truongtram", DEMO_SECRET)
        try:
            totals = []
            for run in range(args.runs):
                out = Path(tmp) / f"nop-{run}.xlsm"
                t = time.perf_counter()
                summary = moh_export.export(head, template, DAY, DAY, out, facility_code="31006")
                totals.append(time.perf_counter() - t)
            t = time.perf_counter()
            tpl = open_template(template)
            t_open = time.perf_counter() - t
            row_ctx = RowContext("31006", "11680", tpl.icd_names, tpl.provinces, paths.root)
            t = time.perf_counter()
            plan = moh_export.plan(head, DAY, DAY, row_ctx)
            t_rows = time.perf_counter() - t
            t = time.perf_counter()
            rows = [moh_export.template_row(tpl, i, r) for i, r in enumerate(plan.files[0], 1)]
            data = fill(tpl, rows)
            t_fill = time.perf_counter() - t
        finally:
            head.close()
    print(
        f"moh-export of {summary['exported']:,} exams ({len(summary['files'])} file(s), {summary['refused']} refused) "
        f"into the 103-column template (dmicdme of 35,735 rows): best {min(totals):.2f} s, worst {max(totals):.2f} s over {args.runs} runs "
        f"(target ≤ 20 s)"
    )
    print(
        f"  parts: open template {t_open * 1000:.0f} ms, read + build rows {t_rows:.2f} s, "
        f"fill {len(rows):,} rows {t_fill:.2f} s ({len(data) / 2**20:.1f} MiB); peak RSS {peak_rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
