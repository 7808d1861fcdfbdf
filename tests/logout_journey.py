"""The whole application flow in a process of its own, as staff use it: log in, open and close the person card,
the scan result and the Báo cáo drill-down, leave a card open, "Đăng xuất" — twice — then quit from the login.

Run by ``tests/test_ui_logout_process.py`` (``python tests/logout_journey.py STATION_DIR USER PASSWORD``): a
crash while the window and its dialogs are deleted (the segfault on "Đăng xuất") kills this process, not the
test run. Prints ``OK`` and exits 0 when every step was reached; a step not reached in time exits 3.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ksk_desktop.station.paths import StationPaths
from ui import ops
from ui.app import setup_application
from ui.dialog_owner import alive
from ui.flow import AppFlow
from ui.people.people_model import PERSON_ID_ROLE

CARD = (
    "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Phường Hồng Bàng, "
    "Thành phố Hải Phòng|10052021"
)
STEP_TIMEOUT_MS = 20_000
ROUNDS = 2

Step = Callable[[], object]


def journey(flow: AppFlow, username: str, password: str) -> Iterator[tuple[str, Step]]:
    """Yields (what, condition): the next action runs once the condition holds."""
    for _ in range(ROUNDS):
        yield "the login dialog", lambda: flow.login_dialog is not None and flow.login_dialog.isVisible()
        login = flow.login_dialog
        login.username_edit.setText(username)
        login.password_edit.setText(password)
        login.submit()
        yield "the main window", lambda: flow.window is not None and flow.window.station_name != ""
        window = flow.window
        people = window.people_page
        window.show_page("Người dân")
        yield (
            "the list",
            lambda people=people: people.model.data(people.model.index(0, 0), PERSON_ID_ROLE) is not None,
        )
        for _twice in range(2):
            card = people.open_person(people.model.data(people.model.index(0, 0), PERSON_ID_ROLE))
            yield "the card", lambda card=card: card.record is not None and not card.busy
            card.reject()
            yield "the card deleted", lambda card=card: not alive(card)
            window.on_scan(CARD)
            scan = window.scan_dialog
            yield "the scan result", lambda scan=scan: scan.state != "loading" and not scan.busy
            scan.reject()
            yield "the scan result deleted", lambda scan=scan: not alive(scan)
        window.show_page("Báo cáo")
        reports = window.stack.currentWidget()
        yield "the report", lambda reports=reports: reports.data is not None and reports.model.rowCount() > 0
        for _twice in range(2):
            reports.table.selectRow(0)
            reports.drill_button.click()
            drill = reports.drill_dialog
            yield "the drill-down", lambda: ops.pending_count() == 0
            drill.reject()
            yield "the drill-down deleted", lambda drill=drill: not alive(drill)
        window.show_page("Người dân")
        people.open_person(people.model.data(people.model.index(0, 0), PERSON_ID_ROLE))  # left open
        window.logout_button.click()
        yield "the window gone", lambda window=window: flow.window is None and not alive(window)
    yield "the login dialog again", lambda: flow.login_dialog is not None and flow.login_dialog.isVisible()
    flow.login_dialog.reject()  # "Thoát": the flow finishes and the application quits


def main(root: str, username: str, password: str) -> int:
    app = QApplication(sys.argv[:1])
    setup_application(app)
    flow = AppFlow(StationPaths(Path(root)), idle_timeout_ms=600_000)
    outcome = {"code": 3, "waiting": "the start"}
    steps = journey(flow, username, password)
    condition: list[Step] = [lambda: True]
    timer, deadline = QTimer(), QTimer()
    deadline.setSingleShot(True)

    def advance() -> None:
        try:
            if not condition[0]():
                return
            outcome["waiting"], condition[0] = next(steps)
            deadline.start(STEP_TIMEOUT_MS)
        except StopIteration:
            timer.stop()
            deadline.stop()
            outcome["code"] = 0
        except Exception:
            traceback.print_exc()
            outcome["code"] = 4
            app.quit()

    def timed_out() -> None:
        print(f"timed out waiting for {outcome['waiting']}", file=sys.stderr)
        app.quit()

    flow.finished.connect(app.quit)
    timer.timeout.connect(advance)
    deadline.timeout.connect(timed_out)
    flow.start()
    timer.start(20)
    app.exec()
    ops.wait_for_workers()
    if outcome["code"] == 0:
        print("OK")
    return outcome["code"]


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
