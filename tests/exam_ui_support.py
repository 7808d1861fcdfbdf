"""Helpers shared by the Khám page tests: a real station with a doctor, a nurse and a person, the page on screen,
and waiting for what runs on the worker thread (opening, the autosave, signing)."""

from __future__ import annotations

import pytest
from exam_support import DOCTOR, NURSE, STAFF_PASSWORD, add_person, add_staff, staff
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.exam.page import ExamsPage

AUTOSAVE_MS = 60


@pytest.fixture
def world(station, admin_session):
    """(paths, person id) on a station with the exam tests' staff."""
    paths, _ = station
    add_staff(admin_session)
    return paths, add_person(admin_session)


@pytest.fixture
def doctor(world, session_clock):
    ctx = staff(world[0], DOCTOR, session_clock)
    yield ctx
    if not ctx.closed:
        ctx.close()


@pytest.fixture
def nurse(world, session_clock):
    ctx = staff(world[0], NURSE, session_clock)
    yield ctx
    if not ctx.closed:
        ctx.close()


def make_page(qtbot, ctx) -> ExamsPage:
    page = ExamsPage(ctx, autosave_ms=AUTOSAVE_MS)
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    qtbot.waitExposed(page)
    page.windowHandle().requestActivate()  # the keyboard tests need the focus in this window
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    return page


def wait_saved(qtbot, page: ExamsPage) -> None:
    """Until the autosave has nothing left to save (saves run on the worker thread)."""
    qtbot.waitUntil(lambda: not page.editor.autosave.busy, timeout=5_000)


def open_exam(qtbot, page: ExamsPage, person_id: str, appointment_id: str | None = None) -> None:
    """Open the person's exam of today and wait until it is on screen."""
    with qtbot.waitSignal(page.editor.opened, timeout=10_000):
        page.open_exam(person_id, appointment_id)


def load_exam(qtbot, page: ExamsPage, exam_id: str, version: int | None = None) -> None:
    with qtbot.waitSignal(page.editor.opened, timeout=10_000):
        page.editor.load_exam(exam_id, version)


def sign(qtbot, page: ExamsPage, password: str = STAFF_PASSWORD) -> bool:
    """Sign the exam on screen with the doctor's *password* (what the password dialog hands on); whether it was
    signed (a refusal is shown in a message box)."""
    with qtbot.waitSignal(page.editor.sign_finished, timeout=10_000) as blocker:
        page.editor.sign_now(password)
    return blocker.args[0]


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def editor_of(page: ExamsPage, key: str):
    return page.editor.form.editors[key]
