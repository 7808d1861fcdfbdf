"""Qt's own texts in Vietnamese (``resources/translations/qtbase_vi``): the committed .qm is the .ts compiled; with
the translation the app installs at start, a text field's standard context menu, the non-native file dialog (its columns, its buttons,
its overwrite question), a message box's Yes/No and the print preview speak Vietnamese — and without it, they
would not (the test would fail on Qt's English)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QTreeView

from ksk_desktop.resources import resource
from ui.i18n import install_qt_translation, remove_qt_translation

TS = Path(str(resource("translations", "qtbase_vi.ts")))
QM = Path(str(resource("translations", "qtbase_vi.qm")))


@pytest.fixture
def vietnamese(qapp):
    assert install_qt_translation(qapp)  # what ksk-desktop's set-up does at start (ui.app.setup_application)
    yield qapp
    remove_qt_translation(qapp)


def plain(text: str) -> str:
    """A menu or button text as read: no accelerator mark, no shortcut after the tab."""
    return text.split("\t")[0].replace("&", "")


def test_the_committed_qm_is_the_ts_compiled(tmp_path):
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    assert lrelease, "pyside6-lrelease comes with the PySide6 wheel"
    out = tmp_path / "qtbase_vi.qm"
    subprocess.run([lrelease, str(TS), "-qm", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == QM.read_bytes(), "run pyside6-lrelease on resources/translations/qtbase_vi.ts"


def test_the_text_field_menu_is_vietnamese(qtbot, vietnamese):
    edit = QLineEdit("Nguyễn Văn An")
    qtbot.addWidget(edit)
    menu = edit.createStandardContextMenu()
    texts = [plain(a.text()) for a in menu.actions() if not a.isSeparator()]
    for wanted in ("Hoàn tác", "Làm lại", "Cắt", "Sao chép", "Dán", "Xóa", "Chọn tất cả"):
        assert wanted in texts, texts
    assert not {"Undo", "Cut", "Copy", "Paste", "Select All"} & set(texts)
    menu.deleteLater()


def test_without_the_translation_qt_would_speak_english(qtbot, qapp):
    remove_qt_translation(qapp)
    edit = QLineEdit()
    qtbot.addWidget(edit)
    menu = edit.createStandardContextMenu()
    assert "Select All" in [plain(a.text()) for a in menu.actions()]  # what the test above guards against
    menu.deleteLater()


def test_message_box_buttons_are_vietnamese(qtbot, vietnamese):
    box = QMessageBox(QMessageBox.Icon.Question, "Hỏi", "Ghi đè?", QMessageBox.Yes | QMessageBox.No)
    qtbot.addWidget(box)
    assert plain(box.button(QMessageBox.Yes).text()) == "Có"
    assert plain(box.button(QMessageBox.No).text()) == "Không"
    box.setDetailedText("chi tiết")
    assert any(plain(b.text()) == "Xem chi tiết…" for b in box.buttons())


def test_the_file_dialog_and_its_overwrite_question_are_vietnamese(qtbot, vietnamese, tmp_path):
    existing = tmp_path / "bao-cao.xlsx"
    existing.write_bytes(b"x")
    dialog = QFileDialog(None, "Lưu", str(tmp_path), "Bảng tính Excel (*.xlsx)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    qtbot.addWidget(dialog)
    dialog.show()
    tree = dialog.findChild(QTreeView, "treeView")
    model = tree.model()
    headers = [model.headerData(i, tree.header().orientation()) for i in range(model.columnCount())]
    assert headers == ["Tên", "Kích thước", "Loại", "Ngày sửa"]
    from PySide6.QtWidgets import QPushButton

    assert {"Lưu", "Hủy"} <= {plain(b.text()) for b in dialog.findChildren(QPushButton)}
    labels = {plain(w.text()) for w in dialog.findChildren(QAction)}
    assert {"Đổi tên", "Xóa", "Hiện tệp ẩn", "Thư mục mới"} <= labels, labels

    asked: list[str] = []

    def answer() -> None:  # the overwrite question is modal: read it, say no
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            asked.extend(plain(b.text()) for b in box.buttons())
            box.button(QMessageBox.No).click()
        else:
            QTimer.singleShot(20, answer)

    dialog.selectFile(existing.name)
    QTimer.singleShot(20, answer)
    dialog.accept()
    assert asked and asked[0] == "bao-cao.xlsx đã có.\nGhi đè lên tệp đó?"
    assert {"Có", "Không"} <= set(asked[1:])
    assert dialog.isVisible()  # "Không": still choosing


def test_the_print_preview_is_vietnamese(qtbot, vietnamese):
    dialog = QPrintPreviewDialog()
    qtbot.addWidget(dialog)
    texts = {a.text() for a in dialog.findChildren(QAction)}
    assert {"In", "Trang sau", "Trang trước", "Phóng to", "Thu nhỏ", "Khổ dọc", "Khổ ngang"} <= texts, texts
