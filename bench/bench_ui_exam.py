"""The Khám page on the 100,000-person demo station (Qt offscreen): open a person's exam (draft created, the form's
tabs and editors built, the assessment shown), one section typed and saved through the page (what autosave does),
and sign-off through the page. p50/p95 of each; the window must not feel slow on a 2-core laptop.

The shared demo station is copied first (bench/out/station-100000-uiexam), so the shared copy is untouched.

Run: .venv/bin/python bench/bench_ui_exam.py [--exams 40]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.bench_exam import SECTIONS, ms  # noqa: E402
from bench.common import demo_copy, machine, process_until  # noqa: E402
from ksk_desktop.demo.seed import DEMO_SECRET  # noqa: E402
from ksk_desktop.exams import records  # noqa: E402
from ksk_desktop.station.lifecycle import login  # noqa: E402
from ksk_desktop.station.paths import StationPaths  # noqa: E402
from ui.exam.page import ExamsPage  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--exams", type=int, default=40)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    root = demo_copy(args.people, "uiexam")
    ctx = login(StationPaths(root), "bacsi", DEMO_SECRET)
    page = ExamsPage(ctx, autosave_ms=60_000)
    page.resize(1400, 900)
    page.show()
    try:
        with ctx.read() as s:
            ids = list(
                s.execute(
                    text("SELECT id FROM person WHERE birth_year BETWEEN 1950 AND 2005 AND sex = 'F'")
                ).scalars()
            )
        editor = page.editor
        outcome: list[
            object
        ] = []  # what the editor said about the operation on its way (it runs on the worker)
        editor.opened.connect(lambda: outcome.append(True))
        editor.open_failed.connect(outcome.append)
        editor.sign_finished.connect(outcome.append)

        def until_done(start) -> object:  # noqa: ANN001 - starts the operation
            outcome.clear()
            start()
            process_until(app, lambda: outcome)
            return outcome[0]

        opened, saved, signed = [], [], []
        for pid in random.Random(3).sample(ids, args.exams):
            t = time.perf_counter()
            result = until_done(lambda pid=pid: page.open_exam(pid))
            assert result is True, result
            opened.append(time.perf_counter() - t)
            for section, values in SECTIONS.items():
                if section == "physique":
                    continue
                st = editor.state
                assert st is not None
                editor.state = records.save_section(
                    ctx,
                    editor.exam_id,
                    section,
                    values,
                    expected_version=st.section_versions.get(section, 0),
                )
            editor.form.put_values({k: str(v).replace(".", ",") for k, v in SECTIONS["physique"].items()})
            editor.autosave.mark("physique")  # as typing does
            t = time.perf_counter()
            result = until_done(lambda: editor.save_all(outcome.append))
            assert result is True, editor.bar.error_label.text()
            saved.append(time.perf_counter() - t)
            t = time.perf_counter()
            result = until_done(lambda: editor.sign_now(DEMO_SECRET))  # the doctor's password opens the key
            assert result is True, editor.assessment.errors.text()
            signed.append(time.perf_counter() - t)
        print(f"Khám page on {args.people:,} people, {args.exams} exams — {machine()}")
        print(f"  open an exam (draft, form built, assessment): {ms(opened)}")
        print(f"  save the vitals section through the page:     {ms(saved)}")
        print(f"  sign through the page (key opened, reload):   {ms(signed)}")
    finally:
        page.set_session(None)
        ctx.close()


if __name__ == "__main__":
    main()
