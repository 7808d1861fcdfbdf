"""The Khám page's queue follows what happens: after the doctor signs, the person no longer shows "chờ khám"
(issue 13: the queue kept saying so) — also when the exam was opened from a search rather than from the queue
(it then names no appointment: the person's visit checked in that day is the one examined)."""

from __future__ import annotations

from datetime import datetime, time

import exam_ui_support as support
import pytest
from exam_support import add_person, fill_adult
from exam_ui_support import make_page, open_exam, sign

from conftest import FROZEN_DAY, frozen_clock
from ksk_desktop.db.models import Appointment
from ksk_desktop.exams import records
from ksk_desktop.scheduling import campaigns, checkin, days, sites

world, doctor = support.world, support.doctor


@pytest.fixture
def session_clock():
    return frozen_clock(at=time(8, 5))


def queue_texts(page) -> list[str]:
    return [page.queue.queue.item(i).text() for i in range(page.queue.queue.count())]


def test_signing_takes_the_person_out_of_the_waiting_queue(qtbot, world, doctor, admin_session):
    now = datetime.combine(FROZEN_DAY, time(8, 5))
    camp = campaigns.create_campaign(
        admin_session, name="KSK", year=now.year, groups=["a", "b", "c", "d", "đ"]
    )
    site = sites.add_site(admin_session, name="Trạm y tế xã", capacity_per_hour=40)
    days.add_day(admin_session, site_id=site.id, day=now.date())
    other = add_person(admin_session, name="Lê Thị Chờ", sex="F")
    visits = [checkin.walk_in(admin_session, pid, campaign_id=camp.id, now=now) for pid in (world[1], other)]
    exam_id = records.open_draft(doctor, world[1], exam_date=now.date()).document["id"]  # found by name
    fill_adult(doctor, exam_id)
    page = make_page(qtbot, doctor)
    qtbot.waitUntil(lambda: len(queue_texts(page)) == 2, timeout=10_000)
    assert all(text.endswith("(chờ khám)") for text in queue_texts(page))
    assert "Nguyễn Văn An" in queue_texts(page)[0]
    open_exam(qtbot, page, world[1])  # "Mở phiếu khám hôm nay" after a search: no appointment named
    assert page.editor.exam_id == exam_id
    page.queue.refresh_queue()  # the periodic refresh under way while the signature is saved
    assert sign(qtbot, page)
    qtbot.waitUntil(lambda: len(queue_texts(page)) == 1, timeout=10_000)
    assert "Lê Thị Chờ" in queue_texts(page)[0] and not any("Nguyễn Văn An" in t for t in queue_texts(page))
    assert checkin_status(admin_session, visits[0].appointment["id"]) == "examined"
    assert checkin_status(admin_session, visits[1].appointment["id"]) == "checked_in"


def checkin_status(ctx, appointment_id: str) -> str:
    with ctx.read() as s:
        return s.get(Appointment, appointment_id).status
