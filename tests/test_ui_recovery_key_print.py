"""The recovery key printed on an A5 sheet from the first-run dialog, through the print preview."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtCore import Qt
from test_ui_first_run import fill_form

from ksk_desktop.printing.recovery_key_pdf import JOB_NAME, recovery_key_document
from ui.login.first_run import FirstRunDialog
from ui.printing import preview as preview_module
from ui.printing.preview import PrintPreview

CLICK = Qt.MouseButton.LeftButton
KEY = "ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2-34567"


def pdftotext(data_or_path: bytes | Path) -> str:
    args = ["pdftotext", "-layout", "-", "-"]
    if isinstance(data_or_path, Path):
        return subprocess.run(
            ["pdftotext", "-layout", str(data_or_path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return subprocess.run(args, input=data_or_path, capture_output=True, check=True).stdout.decode()


def page_size_pt(data: bytes) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    line = next(line for line in info.splitlines() if line.startswith("Page size:"))
    w, _, h = line.split(":", 1)[1].split()[:3]
    return float(w), float(h)


def test_the_sheet_is_a5_with_the_key_in_two_lines_and_the_station():
    doc = recovery_key_document(KEY, "Trạm y tế xã Kiến Thụy (TYT-KT)")
    assert doc.pages == 1
    width, height = page_size_pt(doc.data)
    assert round(width / 72 * 25.4) == 148 and round(height / 72 * 25.4) == 210  # A5 portrait, in mm
    text = pdftotext(doc.data)
    assert "ABCDE-FGHJK-LMNPQ" in text and "RSTUV-WXYZ2-34567" in text
    assert "KHÓA KHÔI PHỤC DỮ LIỆU TRẠM" in text and "Trạm y tế xã Kiến Thụy (TYT-KT)" in text
    # The printer queue (seen by others on a shared printer) names neither the key nor the station.
    assert KEY not in doc.job_name and "TYT" not in doc.job_name and doc.job_name == JOB_NAME


def test_first_run_prints_the_key_through_the_preview(qtbot, paths, tmp_path, monkeypatch):
    dialog = FirstRunDialog(paths, demo_people=40)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    fill_form(dialog)
    qtbot.mouseClick(dialog.create_button, CLICK)
    qtbot.waitUntil(
        lambda: dialog.recovery_dialog is not None and dialog.recovery_dialog.isVisible(), timeout=10_000
    )
    key_dialog = dialog.recovery_dialog
    key = dialog.init_result.recovery_key
    assert key_dialog.station == "TYT-10507"  # no station name was typed: the code stands in

    qtbot.mouseClick(key_dialog.print_button, CLICK)
    qtbot.waitUntil(lambda: key_dialog.findChild(PrintPreview) is not None, timeout=10_000)
    preview = key_dialog.findChild(PrintPreview)
    qtbot.waitUntil(lambda: preview.page_count == 1, timeout=10_000)

    # Nothing was written anywhere; "Lưu PDF…" saves the sheet where the person chooses.
    assert not list(tmp_path.rglob("*.pdf"))
    dest = tmp_path / "khoa.pdf"
    monkeypatch.setattr(preview_module, "choose_path", lambda _parent, _suggested: dest)
    task = preview.save_pdf()
    qtbot.waitUntil(lambda: task.done and dest.exists(), timeout=10_000)
    text = pdftotext(dest)
    groups = key.split("-")
    assert "-".join(groups[:3]) in text and "-".join(groups[3:]) in text and "TYT-10507" in text
    preview.close()

    # Printing does not stand in for the confirmation: the key dialog still waits for the box.
    assert key_dialog.isVisible() and not key_dialog.continue_button.isEnabled()
    key_dialog.confirm_box.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        qtbot.mouseClick(key_dialog.continue_button, CLICK)
