"""The one rule for "examined this year", shared by the people list, coverage, the planner and check-in.

A person was examined in a year when an appointment of one of that year's campaigns reached ``examined``, or when
a signed exam is dated in that year (a walk-in examined without an appointment, an exam imported from a file).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def examined_ids_sql(year_param: str = ":y") -> str:
    """A SELECT of the ids of everyone examined in the year bound to *year_param*."""
    return (
        "SELECT a.person_id FROM appointment a JOIN campaign c ON c.id = a.campaign_id "
        f"WHERE a.status = 'examined' AND c.year = {year_param} "
        "UNION SELECT e.person_id FROM exam_version e WHERE e.status = 'signed' "
        f"AND e.exam_date BETWEEN {year_param} || '-01-01' AND {year_param} || '-12-31'"
    )


def examined_on(s: Session, person_id: str, year: int) -> str | None:
    """The latest date (ISO) *person_id* was examined in *year*, or None."""
    return s.execute(
        text(
            "SELECT max(day) FROM ("
            "SELECT d.exam_date AS day FROM appointment a JOIN campaign c ON c.id = a.campaign_id "
            "JOIN exam_day d ON d.id = a.day_id WHERE a.person_id = :p AND a.status = 'examined' AND c.year = :y "
            "UNION ALL SELECT e.exam_date FROM exam_version e WHERE e.person_id = :p AND e.status = 'signed' "
            "AND e.exam_date BETWEEN :y || '-01-01' AND :y || '-12-31')"
        ),
        {"p": person_id, "y": year},
    ).scalar()
