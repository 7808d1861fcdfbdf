"""The desk of a day another device of the station runs (docs/multi-device.md §3), on the "Hôm nay" page: a
receptionist is told which device runs it; the head takes the desk over with one button and the check-in goes
through, and the next one goes straight through."""

from __future__ import annotations

from sqlalchemy import select
from test_ui_desk import (  # noqa: F401 - the desk tests' fixtures
    RECEPTION,
    TODAY,
    booked_today,
    make_page,
    session_clock,
    sessions,
    status_of,
    wait_result,
    world,
)

from conftest import ADMIN, ADMIN_PASSWORD
from ksk_desktop.db.models import ExamDay, OutboxItem, SyncState

THIS, OTHER = "0190aaaa-0000-7000-8000-000000000001", "0190bbbb-0000-7000-8000-000000000002"


def enrolled_and_run_elsewhere(ctx, day_id: str) -> None:
    """This device as enrolled (its id at the hub) and the day's desk claimed by another device of the station."""
    with ctx.write() as s:
        state = s.get(SyncState, 1) or SyncState(id=1)
        state.device_id = THIS
        s.merge(state)
        s.get_one(ExamDay, day_id).desk_device_id = OTHER


def test_a_day_run_by_another_device_is_refused_and_the_head_takes_the_desk_over(qtbot, world, sessions):  # noqa: F811
    enrolled_and_run_elsewhere(world["ctx"], world["today"])
    first, second = booked_today(world["ctx"], world["today"])[:2]

    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    page.flow.appointment(first.id)
    wait_result(qtbot, page, "error")
    result = page.checkin_panel.result
    assert result.head_label.text() == "Quầy do máy khác điều hành"
    assert OTHER in result.text_label.text() and "báo trưởng trạm" in result.text_label.text()
    assert result.choice("choiceTakeDesk") is None
    assert status_of(reception, first.id) == ("scheduled", None)
    page.set_session(None)

    head = sessions((ADMIN, ADMIN_PASSWORD))
    page = make_page(qtbot, head)
    result = page.checkin_panel.result
    for appt in (first, second):  # twice: the first asks, the second goes straight through
        page.flow.appointment(appt.id)
        if appt is first:
            wait_result(qtbot, page, "choice")
            assert (
                result.head_label.text() == "Quầy do máy khác điều hành" and OTHER in result.text_label.text()
            )
            result.choice("choiceTakeDesk").click()
        wait_result(qtbot, page, "checked_in")
    assert [status_of(head, a.id) for a in (first, second)] == [("checked_in", 1), ("checked_in", 2)]
    with head.read() as s:
        day = s.get_one(ExamDay, world["today"])
        assert day.desk_device_id == THIS
        queued = s.scalars(
            select(OutboxItem.payload).where(OutboxItem.kind == "exam_day", OutboxItem.entity_id == day.id)
        ).all()
    assert f'"desk_device_id":"{THIS}"' in queued[-1]  # the new version of the day goes to the other devices
