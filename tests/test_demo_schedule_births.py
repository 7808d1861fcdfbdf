"""The demo's past exam day never examines someone born after it (``ksk demo`` failed to sign such an exam,
"Ngày khám trước ngày sinh", on days when the synthetic population had a baby born since the last working day)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from testkit.stations import add_people

from conftest import COMMUNE, FROZEN_DAY
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.demo import seed_demo_schedule


def test_a_baby_born_since_the_past_day_is_not_examined_on_it(admin_session):
    ctx = admin_session
    add_people(ctx, 30, seed=3)
    baby = next(generate_people(1, seed=5, commune_code=COMMUNE, reference_date=FROZEN_DAY, id_offset=9000))
    baby["birth_date"] = FROZEN_DAY
    baby["birth_year"] = FROZEN_DAY.year
    baby_id = persons.create_person(ctx, persons.PersonInput.from_dict(baby)).id
    made = seed_demo_schedule(ctx, FROZEN_DAY)
    past = date.fromisoformat(made["past_day"])
    with ctx.read() as s:
        on_past_day = s.execute(
            text(
                "SELECT a.person_id, a.status FROM appointment a JOIN exam_day d ON d.id = a.day_id "
                "WHERE d.exam_date = :d"
            ),
            {"d": past.isoformat()},
        ).all()
        before_birth = s.execute(
            text(
                "SELECT count(*) FROM appointment a JOIN exam_day d ON d.id = a.day_id "
                "JOIN person p ON p.id = a.person_id "
                "WHERE a.status = :examined AND p.birth_date IS NOT NULL AND d.exam_date < p.birth_date"
            ),
            {"examined": st.EXAMINED},
        ).scalar_one()
    assert baby_id in {person for person, _status in on_past_day}  # planned with everyone (the case at hand)
    assert any(status == st.EXAMINED for _person, status in on_past_day)
    assert before_birth == 0
