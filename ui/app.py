"""The ``ksk-desktop`` entry point: parse the options, set up Qt, then run the window flow.

``KSK_SMOKE_EXIT_AFTER_LOGIN_SHOWN=1`` (for the bundle's smoke test and start-up benchmark, not for people): once
the login dialog is on screen and the event loop has run, print one line (``SMOKE_LOGIN_SHOWN ksk-desktop
<version>``; also into the file named by ``KSK_SMOKE_OUTPUT`` if set) and close it, so the application quits.

``KSK_DEBUG_THREADS=1`` turns on the guard that makes any database work started by GUI code on the GUI thread
raise (the test suite always runs with it; see ``ui.ops``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QStyleFactory

from ksk_desktop import __version__
from ksk_desktop.errors import KskError
from ksk_desktop.station.paths import StationPaths, default_data_dir
from ui import crash_log, ops
from ui.flow import AppFlow
from ui.fonts import load_bundled_fonts
from ui.i18n import apply_button_texts, install_qt_translation


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ksk-desktop", description="KSK Desktop — giao diện đồ họa")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="thư mục dữ liệu của trạm (mặc định: KSK_DATA_DIR hoặc thư mục người dùng)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="nếu chưa có trạm, tạo trạm mẫu với dữ liệu tổng hợp rồi mở màn hình đăng nhập",
    )
    parser.add_argument("--version", action="version", version=f"ksk-desktop {__version__}")
    return parser.parse_args(argv)


def setup_application(app: QApplication) -> None:
    QCoreApplication.setApplicationName("KSK Desktop")
    QCoreApplication.setOrganizationName("KSK")
    QCoreApplication.setApplicationVersion(__version__)
    QLocale.setDefault(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
    install_qt_translation(app)  # Qt's own texts (context menus, file and print dialogs) in Vietnamese
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    font = app.font()
    if sys.platform == "win32":
        font.setFamily("Segoe UI")  # has every Vietnamese glyph
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)
    load_bundled_fonts()
    # The flow decides when to quit (between the login dialog and the main window no window is open).
    app.setQuitOnLastWindowClosed(False)


def _excepthook(exc_type, exc, tb) -> None:  # noqa: ANN001 - sys.excepthook signature
    crash_log.log_unhandled(exc_type, exc, tb)
    if QApplication.instance() is not None:
        box = QMessageBox(  # a core error (e.g. a busy database) in its own words; a bug as "unexpected"
            QMessageBox.Icon.Critical,
            "Lỗi — KSK Desktop",
            exc.message
            if isinstance(exc, KskError)
            else f"Lỗi không mong đợi ({exc_type.__name__}). Mọi thay đổi dở dang đã được hủy; "
            "hãy báo cho bộ phận hỗ trợ.",
            QMessageBox.StandardButton.Close,
        )
        apply_button_texts(box)
        box.exec()


SMOKE_ENV = "KSK_SMOKE_EXIT_AFTER_LOGIN_SHOWN"
SMOKE_LINE = "SMOKE_LOGIN_SHOWN"


def close_when_shown(dialog: QDialog) -> None:
    """The smoke test's exit: after the event loop has run once with *dialog* shown, say so and close it."""

    def report() -> None:
        if dialog.isVisible():
            line = f"{SMOKE_LINE} ksk-desktop {__version__}"
            if sys.stdout is not None:  # None in a windowed (no console) Windows build
                print(line, flush=True)
            if os.environ.get("KSK_SMOKE_OUTPUT"):  # so a windowed build can be checked too
                Path(os.environ["KSK_SMOKE_OUTPUT"]).write_text(line + "\n", encoding="utf-8")
        dialog.reject()

    QTimer.singleShot(0, report)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = StationPaths(args.data_dir.expanduser() if args.data_dir else default_data_dir())
    crash_log.install(paths)
    sys.excepthook = _excepthook
    app = QApplication.instance() or QApplication(sys.argv[:1])
    setup_application(app)
    if os.environ.get("KSK_DEBUG_THREADS") == "1":
        ops.guard_gui_thread()

    flow = AppFlow(paths, demo=args.demo)
    flow.finished.connect(app.quit)
    if os.environ.get(SMOKE_ENV) == "1":
        flow.login_shown.connect(close_when_shown)
    flow.start()
    code = app.exec()
    ops.wait_for_workers()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
