"""Helpers shared by the Khám page tests: a real station with a doctor, a nurse and a person, the page on screen,
and waiting for its autosave."""

from __future__ import annotations

import pytest
from exam_support import DOCTOR, NURSE, add_person, add_staff, staff
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
    """Until the autosave has nothing left to save."""
    qtbot.waitUntil(lambda: not page.editor.autosave.dirty, timeout=5_000)


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def editor_of(page: ExamsPage, key: str):
    return page.editor.form.editors[key]
