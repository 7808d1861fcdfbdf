"""The one clock: now in UTC, today in Vietnam, a frozen clock for tests; the shared date helpers (dd/mm/yyyy,
moments on Vietnam's wall clock, ages); and the session carrying its clock into everything it writes.

The year-end case is the one that broke: at 2026-12-31 18:00 UTC it is already 01/01/2027 in Vietnam, and the
person rules (which used the machine's date) refused a birth date the scheduler called today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text

from ksk_desktop.clock import SYSTEM_CLOCK, VIETNAM, FixedClock, to_vietnam, vietnam_to_utc
from ksk_desktop.dates import age_on, hhmm, parse_date, show_birth, show_date, show_moment
from ksk_desktop.errors import InvalidInput
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, checkin, days, planner, sites
from ksk_desktop.scheduling.errors import DateInPast

YEAR_END = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 01:00 on 01/01/2027 in Vietnam


# -- the clock ------------------------------------------------------------------------------------------------------
def test_a_fixed_clock_gives_utc_now_and_the_date_in_vietnam():
    clock = FixedClock(YEAR_END)
    assert clock.now() == YEAR_END and clock.utcnow() == datetime(2026, 12, 31, 18, 0)
    assert clock.utcnow().tzinfo is None  # naive UTC, as the DateTime columns hold it
    assert clock.local_now() == datetime(2027, 1, 1, 1, 0)
    assert clock.today() == date(2027, 1, 1)
    assert clock.advance(hours=-1, minutes=-1) == datetime(2026, 12, 31, 16, 59, tzinfo=UTC)
    assert clock.today() == date(2026, 12, 31)  # 23:59 in Vietnam
    clock.set_vietnam(datetime(2028, 2, 29, 7, 0))
    assert clock.utcnow() == datetime(2028, 2, 29, 0, 0) and clock.today() == date(2028, 2, 29)
    clock.advance(timedelta(hours=17))
    assert clock.today() == date(2028, 3, 1) and clock.local_now().time() == time(0, 0)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 1, 1, 7, 0))  # ambiguous: UTC or Vietnam?


def test_the_system_clock_is_utc_and_vietnam_is_seven_hours_ahead():
    now, local = SYSTEM_CLOCK.now(), SYSTEM_CLOCK.local_now()
    assert now.utcoffset() == timedelta(0)
    assert abs((local - now.replace(tzinfo=None)) - timedelta(hours=7)) < timedelta(seconds=5)
    assert SYSTEM_CLOCK.today() in {local.date(), SYSTEM_CLOCK.local_now().date()}


def test_zone_conversions():
    assert to_vietnam(datetime(2026, 12, 31, 18, 0)) == datetime(2027, 1, 1, 1, 0, tzinfo=VIETNAM)
    assert to_vietnam(YEAR_END).utcoffset() == timedelta(hours=7)
    assert vietnam_to_utc(date(2027, 1, 1), "07:30") == datetime(2027, 1, 1, 0, 30)
    assert vietnam_to_utc(date(2027, 1, 1), "06:59") == datetime(2026, 12, 31, 23, 59)


# -- dates as people read them -------------------------------------------------------------------------------------
def test_dates_read_day_first_and_moments_on_vietnams_wall_clock():
    assert (
        show_date(date(2026, 3, 5))
        == "05/03/2026"
        == show_date("2026-03-05")
        == show_date("2026-03-05T10:00")
    )
    assert show_date(None) == show_date("") == ""
    assert show_date(datetime(2027, 1, 1, 23, 0)) == "01/01/2027"
    assert show_moment(datetime(2026, 12, 31, 18, 5)) == "01/01/2027 01:05"  # stored UTC, shown in Vietnam
    assert show_moment("2026-12-31T18:05:00Z") == show_moment("2026-12-31T18:05:00") == "01/01/2027 01:05"
    assert show_moment(YEAR_END.astimezone(VIETNAM)) == "01/01/2027 01:00"
    assert show_moment(None) == ""
    assert hhmm(time(7, 5)) == "07:05" and hhmm(datetime(2026, 1, 1, 13, 30)) == "13:30"
    assert show_birth("1985-03-05", 1985) == "05/03/1985" and show_birth(None, 1950) == "1950"
    assert show_birth(None, None) == ""
    assert parse_date("5/3/1985") == date(1985, 3, 5) == parse_date(" 1985-03-05 ")
    assert parse_date("05.03.1985", ("%d.%m.%Y",)) == date(1985, 3, 5)
    with pytest.raises(ValueError):
        parse_date("31/02/1990")


@pytest.mark.parametrize(
    ("on", "born", "year", "age"),
    [
        (date(2026, 5, 16), date(1980, 5, 17), None, 45),  # the day before the birthday
        (date(2026, 5, 17), date(1980, 5, 17), None, 46),  # on the birthday
        (date(2027, 1, 1), date(2027, 1, 1), None, 0),  # born today
        (date(2027, 2, 28), date(2024, 2, 29), None, 2),  # a 29 February birthday in a common year
        (date(2028, 2, 29), date(2024, 2, 29), None, 4),
        (date(2026, 1, 1), "1966-06-02", None, 59),  # an ISO text, as the GUI holds it
        (date(2026, 1, 1), None, 1950, 76),  # only the year known: the difference of years
        (date(2026, 1, 1), None, None, None),
    ],
)
def test_age_on_a_day(on, born, year, age):
    assert age_on(on, born, year) == age


# -- the session carries the clock ----------------------------------------------------------------------------------
@pytest.fixture
def session_clock():
    return FixedClock(YEAR_END)


def test_at_the_year_end_a_baby_born_today_is_booked_today(admin_session):
    """The reported case: the machine says 31/12/2026, Vietnam says 01/01/2027; everything follows Vietnam."""
    ctx = admin_session
    today = ctx.clock.today()
    assert today == date(2027, 1, 1)
    baby = persons.create_person(
        ctx, persons.PersonInput(full_name="Nguyễn Thị Năm Mới", birth_date=today, sex="F", target_group="b")
    )
    assert baby.dob == "2027-01-01"
    with pytest.raises(InvalidInput, match="sau ngày hôm nay"):
        persons.create_person(
            ctx, persons.PersonInput(full_name="Chưa Sinh", birth_date=today + timedelta(days=1), sex="M")
        )
    assert persons.suggest_groups(today, None, today)["age"] == 0
    camp = campaigns.create_campaign(ctx, name="KSK 2027", year=today.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=20)
    with pytest.raises(DateInPast, match="31/12/2026 đã qua"):
        days.add_day(ctx, site_id=site.id, day=date(2026, 12, 31))
    day = days.add_day(ctx, site_id=site.id, day=today)
    plan = planner.plan(ctx, camp.id, today, today)
    (placed,) = plan.placed
    assert placed.person_id == baby.id and placed.day_id == day.id
    came = checkin.checkin_by_appointment(ctx, placed.appointment_id)  # "today" from the session's clock
    assert came.status == "checked_in" and came.queue_no == 1


def test_what_a_session_writes_carries_its_clocks_time(admin_session):
    ctx = admin_session
    persons.create_person(ctx, persons.PersonInput(full_name="Trần Văn Giờ", birth_year=1970, sex="M"))
    ctx.clock.advance(minutes=5)
    with ctx.read() as s:
        created = s.execute(text("SELECT created_at FROM person")).scalar_one()
        queued = s.execute(text("SELECT created_at FROM outbox WHERE kind = 'person'")).scalar_one()
        audited = s.execute(
            text("SELECT at FROM audit_event WHERE action = 'person.create' ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
    assert datetime.fromisoformat(str(created)) == datetime(2026, 12, 31, 18, 0)
    assert datetime.fromisoformat(str(queued)) == datetime(2026, 12, 31, 18, 0)
    assert datetime.fromisoformat(audited) == YEAR_END
