"""The keyboard-wedge filter with synthetic key events: a scan anywhere is recognised and kept out of the
focused field and the dialog's default button; a person's typing still arrives; IME commits; late echoes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QPushButton, QVBoxLayout
from testkit.keys import type_text, wait_ms

from conftest import FROZEN_DAY
from ksk_desktop.cccd import parse_cccd
from ui.scan import WedgeScanFilter, WedgeTiming, install_scanner

DATA = Path(__file__).parent / "data" / "cccd-samples.jsonl"


def sample(case: str) -> str:
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["case"] == case:
            return row["payload"]
    raise KeyError(case)


def payload_140() -> str:
    """A synthetic 2024+ card (11 fields) of exactly 140 characters with Vietnamese letters."""
    parts = sample("V03").split("|")
    parts[5] = "Số 100 Ngõ Kiểm Thử, Tổ dân phố Mẫu Một, Phường Thủy Nguyên, Thành phố Hải Phòng"
    payload = "|".join(parts)
    assert len(payload) == 140 and not payload.isascii()
    parse_cccd(payload, today=FROZEN_DAY)  # a valid card
    return payload


PAYLOAD = payload_140()


class Form(QDialog):
    """A dialog with a focused line edit and a default button, as in the app."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.edit = QLineEdit(self)
        self.ok = QPushButton("Đồng ý", self)
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.accept)
        layout.addWidget(self.edit)
        layout.addWidget(self.ok)


@pytest.fixture
def form(qtbot):
    dialog = Form()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.edit.setFocus()
    return dialog


class Recorder:
    def __init__(self, scanner: WedgeScanFilter) -> None:
        self.scans: list[tuple[str, float]] = []
        self.echoes: list[int] = []
        scanner.scanned.connect(lambda text: self.scans.append((text, time.perf_counter())))
        scanner.echo_dropped.connect(self.echoes.append)


@pytest.fixture
def scanner(qtbot):
    app = QApplication.instance()
    wedge = WedgeScanFilter(WedgeTiming())
    app.installEventFilter(wedge)
    yield wedge
    wedge.uninstall()
    wedge.deleteLater()


def wait_for_scan(qtbot, rec: Recorder, n: int = 1) -> None:
    qtbot.waitUntil(lambda: len(rec.scans) >= n, timeout=2_000)


def test_a_140_character_scan_is_recognised_fast_and_typed_nowhere(qtbot, form, scanner):
    rec = Recorder(scanner)
    type_text(form.edit, PAYLOAD, pace_ms=2.0)
    wait_for_scan(qtbot, rec)  # how fast: bench/bench_wedge.py
    assert rec.scans[0][0] == PAYLOAD
    assert form.edit.text() == ""
    assert form.isVisible() and form.result() == QDialog.DialogCode.Rejected  # default button not pressed
    wait_ms(150)
    assert len(rec.scans) == 1 and form.edit.text() == ""


@pytest.mark.parametrize("suffix", ["\r", "\r\n", "\t"])
def test_a_trailing_enter_ends_the_scan_at_once_and_never_presses_the_default_button(
    qtbot, form, scanner, suffix
):
    rec = Recorder(scanner)
    type_text(form.edit, PAYLOAD + suffix, pace_ms=2.0)
    # The terminator ends the scan at once: the signal is already queued, with no silence waited for.
    QCoreApplication.processEvents()
    assert [text for text, _at in rec.scans] == [PAYLOAD]
    wait_ms(100)
    assert form.isVisible() and form.result() == QDialog.DialogCode.Rejected
    assert form.edit.text() == "" and form.edit.hasFocus()  # a Tab did not move the focus either
    assert len(rec.scans) == 1


def test_slow_typing_reaches_the_line_edit_and_enter_still_works(qtbot, form, scanner):
    rec = Recorder(scanner)
    type_text(form.edit, "Nguyễn Văn 031085", pace_ms=45.0)
    wait_ms(80)
    assert form.edit.text() == "Nguyễn Văn 031085"
    assert rec.scans == []
    type_text(form.edit, "\r", pace_ms=45.0)  # a person's Enter presses the default button as usual
    qtbot.waitUntil(lambda: form.result() == QDialog.DialogCode.Accepted, timeout=1_000)


def test_a_short_fast_burst_is_given_back_to_the_field(qtbot, form, scanner):
    # A person's key roll-over, or a short 1-D barcode: too short for a CCCD scan, so it is typed as usual.
    rec = Recorder(scanner)
    type_text(form.edit, "8935049500117", pace_ms=2.0)
    wait_ms(100)
    assert form.edit.text() == "8935049500117"
    assert rec.scans == []


def test_typing_mixed_with_pauses_keeps_its_order(qtbot, form, scanner):
    type_text(form.edit, "ab", pace_ms=5.0)  # a fast pair (held, then given back)
    wait_ms(60)
    type_text(form.edit, "cd", pace_ms=70.0)
    type_text(form.edit, "ef", pace_ms=1.0)
    wait_ms(80)
    assert form.edit.text() == "abcdef"


def test_input_method_commit_strings_are_part_of_the_scan(qtbot, form, scanner):
    # With Unikey or the Windows Vietnamese IME on, digits and '|' come as key presses and the letters with
    # diacritics as commit strings.
    rec = Recorder(scanner)
    type_text(form.edit, PAYLOAD + "\r", pace_ms=2.0, ime=True)
    wait_for_scan(qtbot, rec)
    assert rec.scans[0][0] == PAYLOAD
    assert form.edit.text() == "" and form.result() == QDialog.DialogCode.Rejected


def test_an_ime_rewriting_the_last_letter_is_followed(qtbot, form, scanner):
    # Telex "dd" → "đ": the IME replaces the letter it just committed (replacement -1, 1), or sends a
    # Backspace and the new letter. Both are applied to the held text, not to the field.
    rec = Recorder(scanner)
    head, tail = PAYLOAD.split("Giả")
    type_text(form.edit, head + "Gia", pace_ms=2.0)
    fix = QInputMethodEvent("", [])
    fix.setCommitString("ả", -1, 1)
    QCoreApplication.sendEvent(form.edit, fix)
    type_text(form.edit, tail[:10] + "x", pace_ms=2.0)
    QCoreApplication.sendEvent(
        form.edit, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier)
    )
    type_text(form.edit, tail[10:], pace_ms=2.0)
    wait_for_scan(qtbot, rec)
    assert rec.scans[0][0] == PAYLOAD
    assert form.edit.text() == ""


def test_a_person_typing_with_an_ime_still_gets_their_text(qtbot, form, scanner):
    type_text(form.edit, "Đỗ Thị Ánh", pace_ms=60.0, ime=True)
    wait_ms(60)
    assert form.edit.text() == "Đỗ Thị Ánh"


def test_a_late_echo_of_the_tail_is_swallowed(qtbot, form, scanner):
    rec = Recorder(scanner)
    type_text(form.edit, PAYLOAD + "\r", pace_ms=2.0)
    wait_for_scan(qtbot, rec)
    wait_ms(120)
    type_text(form.edit, "15082024||||\r", pace_ms=2.0)  # the tail again, 120+ ms later
    wait_ms(120)
    assert rec.echoes == [len("15082024||||")]
    assert len(rec.scans) == 1
    assert form.edit.text() == "" and form.result() == QDialog.DialogCode.Rejected
    wait_ms(350)  # after the echo window a person types normally again
    type_text(form.edit, "Lê", pace_ms=60.0)
    wait_ms(60)
    assert form.edit.text() == "Lê"


def test_two_scans_in_a_row_are_two_scans(qtbot, form, scanner):
    rec = Recorder(scanner)
    other = sample("V01")
    type_text(form.edit, PAYLOAD + "\r", pace_ms=2.0)
    wait_for_scan(qtbot, rec)
    wait_ms(50)
    type_text(form.edit, other + "\r", pace_ms=2.0)  # a second card inside the echo window: not an echo
    wait_for_scan(qtbot, rec, 2)
    assert [t for t, _ in rec.scans] == [PAYLOAD, other]
    assert form.edit.text() == ""


def test_a_scan_follows_the_focus_wherever_it_is(qtbot, form, scanner):
    rec = Recorder(scanner)
    form.ok.setFocus()  # a space in the payload must not click a focused button either
    type_text(form.ok, PAYLOAD, pace_ms=2.0)
    wait_for_scan(qtbot, rec)
    assert rec.scans[0][0] == PAYLOAD
    wait_ms(50)
    assert form.result() == QDialog.DialogCode.Rejected and form.isVisible()


def test_the_timings_are_configurable(qtbot, form, scanner):
    rec = Recorder(scanner)
    scanner.set_timing(WedgeTiming(min_length=200))  # longer than the payload: it is typed, not scanned
    type_text(form.edit, PAYLOAD, pace_ms=2.0)
    wait_ms(100)
    assert rec.scans == [] and form.edit.text() == PAYLOAD
    form.edit.clear()
    scanner.set_timing(WedgeTiming(max_gap_ms=80, end_timeout_ms=120))  # a slow scanner (10 ms per key)
    type_text(form.edit, PAYLOAD, pace_ms=10.0)
    wait_for_scan(qtbot, rec)
    assert rec.scans[0][0] == PAYLOAD and form.edit.text() == ""
    with pytest.raises(ValueError):
        WedgeTiming(min_length=1)


def test_disabled_it_lets_everything_through(qtbot, form, scanner):
    rec = Recorder(scanner)
    scanner.set_enabled(False)
    type_text(form.edit, PAYLOAD, pace_ms=1.0)
    wait_ms(100)
    assert rec.scans == [] and form.edit.text() == PAYLOAD


def test_install_scanner_wires_a_callback_app_wide(qtbot, form):
    got: list[str] = []
    wedge = install_scanner(QApplication.instance(), got.append)
    try:
        type_text(form.edit, PAYLOAD + "\r", pace_ms=2.0)
        qtbot.waitUntil(lambda: got == [PAYLOAD], timeout=2_000)
        assert wedge.parent() is QApplication.instance()
    finally:
        wedge.uninstall()
        wedge.setParent(None)
        wedge.deleteLater()
