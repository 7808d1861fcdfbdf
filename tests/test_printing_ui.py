"""``ui.pdf_output.save_pdf`` with real Qt widgets: a real PDF saved (on the worker thread) where the person chose
and opened; a failure shown in Vietnamese with nothing left on disk; cancelling writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from test_printing_schedule import pdftotext
from test_printing_slips import STATION, slip

from ksk_desktop.errors import NotFound
from ksk_desktop.printing import result_slips_pdf
from ui import pdf_output


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def opened(monkeypatch) -> list[QUrl]:
    urls: list[QUrl] = []
    monkeypatch.setattr(pdf_output, "open_url", urls.append)
    return urls


def boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_saves_opens_and_adds_the_suffix(qtbot, parent, opened, monkeypatch, tmp_path):
    asked: list[Path] = []

    def choose(_parent: QWidget, suggested: Path) -> Path:
        asked.append(suggested)
        return tmp_path / "phieu-ket-qua"  # typed without .pdf

    monkeypatch.setattr(pdf_output, "choose_path", choose)
    task = pdf_output.save_pdf(parent, "phieu-ket-qua.pdf", lambda p: result_slips_pdf(p, [slip()], STATION))
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    saved = task.result
    assert task.done and saved == tmp_path / "phieu-ket-qua.pdf" and asked[0].name == "phieu-ket-qua.pdf"
    assert "Nguyễn Thị Hường" in pdftotext(saved)
    assert [u.toLocalFile() for u in opened] == [str(saved)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phieu-ket-qua.pdf"]


def test_failure_is_shown_in_vietnamese_and_leaves_nothing(parent, opened, monkeypatch, tmp_path, qtbot):
    monkeypatch.setattr(pdf_output, "choose_path", lambda _p, _s: tmp_path / "ds.pdf")

    def broken(path: Path) -> None:
        path.write_bytes(b"%PDF-1.4 half")  # half a file, then the failure
        raise NotFound("Ngày 26/11/2026 không có ngày khám nào: không có lịch để in.")

    (tmp_path / "ds.pdf").write_bytes(b"old")
    task = pdf_output.save_pdf(parent, "ds.pdf", broken)
    qtbot.waitUntil(lambda: bool(boxes()))
    assert task.done and isinstance(task.error, NotFound) and task.result is None
    (box,) = boxes()
    assert "không có ngày khám nào" in box.text() and box.windowTitle() == "Không lưu được tệp PDF"
    box.close()
    assert (tmp_path / "ds.pdf").read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1 and not opened

    monkeypatch.setattr(pdf_output, "choose_path", lambda _p, _s: tmp_path / "khong-co" / "ds.pdf")
    task = pdf_output.save_pdf(parent, "ds.pdf", broken)
    qtbot.waitUntil(lambda: bool(boxes()))
    (box,) = boxes()
    assert task.error is not None and "không tồn tại" in box.text()
    box.close()


def test_cancel_writes_nothing(parent, opened, monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_output, "choose_path", lambda _p, _s: None)
    calls: list[Path] = []
    assert pdf_output.save_pdf(parent, "x.pdf", calls.append) is None
    assert not calls and not opened and not list(tmp_path.iterdir())
