"""Property: whatever the population, the sites, the days and their capacities, planning (and re-planning, with a
locked day in between) never puts more people in a slot than it holds, never gives anyone two active appointments,
keeps priority people in the morning and pupils at school days, accounts for everyone, and is stable."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, placement, planner, sites
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths

TODAY = FROZEN_DAY  # the session's clock is frozen on it
HOURS = ["07:30-09:30", "13:30-15:30", "07:00-08:00,14:00-15:00", "07:30-11:30,13:30-16:30"]
_examples = itertools.count()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    paths = StationPaths(tmp_path_factory.mktemp("prop") / "station")
    init_station(
        paths,
        station_code="TYT-PROP",
        commune_code=COMMUNE,
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
        clock=frozen_clock(TODAY),
    )
    ctx = login(paths, ADMIN, ADMIN_PASSWORD, clock=frozen_clock(TODAY))
    camp = campaigns.create_campaign(ctx, name="Tính chất", year=TODAY.year, groups="a,b,c,d,đ")
    yield ctx, camp.id
    ctx.close()


person = st.fixed_dictionaries(
    {
        "hamlet": st.integers(0, 2),
        "group": st.sampled_from(["a", "b", "c", "d", "đ", None]),
        "age": st.integers(0, 95),
        "exact_dob": st.booleans(),
        "flags": st.sets(st.sampled_from(["elderly", "disabled", "merit", "poor", "chronic"]), max_size=2),
    }
)
day_spec = st.fixed_dictionaries(
    {
        "school": st.booleans(),
        "offset": st.integers(1, 4),
        "hours": st.sampled_from(HOURS),
        "minutes": st.sampled_from([30, 60]),
        "capacity": st.integers(1, 4),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Found by Hypothesis: two morning places, two priority people in them, and one afternoon person recorded as
# disabled — rebalancing must not push one of the two into the afternoon for the newcomer.
@example(
    people=[{"hamlet": 0, "group": "a", "age": 0, "exact_dob": False, "flags": set()}] * 5
    + [
        {"hamlet": 0, "group": "a", "age": 60, "exact_dob": False, "flags": set()},
        {"hamlet": 0, "group": "a", "age": 0, "exact_dob": False, "flags": {"elderly"}},
    ],
    day_specs=[
        {"school": False, "offset": 1, "hours": "07:00-08:00,14:00-15:00", "minutes": 30, "capacity": 1}
    ],
    lock=False,
    first_hamlet_only=True,
    rebalance=True,
    promote=1,
)
@given(
    people=st.lists(person, max_size=45),
    day_specs=st.lists(day_spec, min_size=1, max_size=4),
    lock=st.booleans(),
    first_hamlet_only=st.booleans(),
    rebalance=st.booleans(),
    promote=st.integers(0, 3),
)
def test_planning_never_exceeds_capacity_and_keeps_its_rules(
    shared, people, day_specs, lock, first_hamlet_only, rebalance, promote
):
    ctx, campaign = shared
    k = next(_examples)
    base = TODAY + timedelta(days=10 * k)
    hamlets = [f"Thôn P{k}-{i}" for i in range(3)]
    rows = []
    for i, p in enumerate(people):
        year = TODAY.year - p["age"]
        dob = date(year, 1 + i % 12, 1 + i % 28) if p["exact_dob"] else None
        if dob is not None and dob > TODAY:
            dob = None
        rows.append(
            persons.PersonInput(
                full_name=f"Người Thử {k} {i}",
                birth_date=dob,
                birth_year=year,
                hamlet=hamlets[p["hamlet"]],
                target_group=p["group"],
                flags=sorted(p["flags"]),
            )
        )
    if rows:
        persons.create_many(ctx, rows)
    station = sites.add_site(ctx, name=f"Trạm {k}")
    school = sites.add_site(ctx, name=f"Trường {k}", kind="school")
    made = {}
    for spec in day_specs:
        site = school if spec["school"] else station
        key = (site.id, spec["offset"])
        if key in made:
            continue
        made[key] = days.add_day(
            ctx,
            site_id=site.id,
            day=base + timedelta(days=spec["offset"]),
            hours=spec["hours"],
            slot_minutes=spec["minutes"],
            capacity_per_slot=spec["capacity"],
        ).id
    window = (base + timedelta(days=1), base + timedelta(days=4))
    everyone = planner.Population(hamlets=set(hamlets))

    promoted: set[str] = set()
    if first_hamlet_only:
        first = planner.plan(ctx, campaign, *window, population=planner.Population(hamlets={hamlets[0]}))
        # a few people booked in the afternoon are then recorded as disabled: they now break the morning rule
        for p in [p for p in first.placed if not p.priority and p.start >= "12:00"][:promote]:
            persons.update_person(ctx, p.person_id, {}, flags=["disabled"])
            promoted.add(p.person_id)
    if lock and len(made) > 1:  # with every day locked there is nothing to plan (tested elsewhere)
        days.lock_day(ctx, sorted(made.values())[0])
    result = planner.plan(ctx, campaign, *window, population=everyone, rebalance=rebalance)

    with ctx.read() as s:
        loads = s.execute(
            text(
                "SELECT s.capacity, (SELECT count(*) FROM appointment a WHERE a.slot_id = s.id AND a.status IN "
                "('scheduled','notified','checked_in','in_exam','examined','no_show')) FROM slot s"
            )
        ).all()
        dupes = s.execute(
            text(
                "SELECT person_id FROM appointment WHERE status IN ('scheduled','notified','checked_in','in_exam',"
                "'examined') GROUP BY campaign_id, person_id HAVING count(*) > 1"
            )
        ).all()
        mine = s.execute(
            text(
                "SELECT a.person_id, a.priority, sl.start_time, x.kind FROM appointment a JOIN slot sl ON sl.id = a.slot_id "
                "JOIN exam_day d ON d.id = a.day_id JOIN site x ON x.id = d.site_id JOIN person p ON p.id = a.person_id "
                "WHERE p.hamlet IN (:h0, :h1, :h2) AND a.status = 'scheduled'"
            ),
            {"h0": hamlets[0], "h1": hamlets[1], "h2": hamlets[2]},
        ).all()
        ids = s.execute(
            text(
                "SELECT id, target_group, birth_date, birth_year FROM person WHERE hamlet IN (:h0, :h1, :h2)"
            ),
            {"h0": hamlets[0], "h1": hamlets[1], "h2": hamlets[2]},
        ).all()

    assert all(used <= cap for cap, used in loads), "a slot over capacity"
    assert dupes == []
    accounted = [p.person_id for p in result.placed] + [u.person_id for u in result.unplaced]
    assert len(accounted) == len(set(accounted))
    assert set(accounted) | {pid for pid, *_ in mine} == {r.id for r in ids}, "someone silently dropped"
    pupils = {r.id for r in ids if r.target_group == "b" and 6 <= TODAY.year - r.birth_year <= 17}
    placed_now = {p.person_id: p for p in result.placed}
    for pid, prio, start, kind in mine:
        if prio and pid not in promoted:
            assert start < "12:00", "priority person in the afternoon"
        if (
            pid in promoted and start >= "12:00"
        ):  # kept their time for want of a morning place (or day locked)
            assert pid not in placed_now or placed_now[pid].action == "unchanged" or rebalance
        assert (kind == "school") == (pid in pupils), "pupils at school days, and only they"
    for u in result.unplaced:
        assert u.reason == placement.REASONS[u.code] or u.cancelled_appointment_id

    again = planner.plan(ctx, campaign, *window, population=everyone, rebalance=rebalance, dry_run=True)
    assert again.counts["moved"] == again.counts["new"] == again.counts["cancelled"] == 0, (
        "re-planning not stable"
    )
