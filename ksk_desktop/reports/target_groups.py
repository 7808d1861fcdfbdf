"""The target groups a–đ of the city plan (Kế hoạch khám sức khỏe định kỳ … Hải Phòng 2026, mục III.2), as the
reports count them: every person in exactly one group, by the plan's own precedence.

The plan defines (quoted in :data:`PLAN_TEXT`):

- **b** children in pre-school, pupils in general education; **c** workers; **d** people managed by the Ministry of
  Defence or of Public Security. These are facts about a person's schooling or work that the station records as
  the person's group (``person.target_group``): the report takes b, c and d from there.
- **a** the elderly, people with a disability, of a poor or near-poor household, people with merit, with a
  chronic disease, living in an ethnic-minority, mountainous or disadvantaged area, an island commune or a special
  zone — *and not in b, c or d*. So a pupil with a disability is in b, a 62-year-old employee in c.
  Who qualifies is read from the person's priority flags, their age (60 or over on the reference day) and
  their commune (an island unit), not from the stored group.
- **đ** everyone else ("không thuộc quy định tại điểm a, b, c và điểm d").

A stored ``a`` without any of a's criteria is therefore counted in đ, and a stored ``đ`` (or no group) with one
of them in a; :func:`classify` says so, and the report counts these people in a footnote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.dates import age_on

GROUPS: tuple[str, ...] = ("a", "b", "c", "d", "đ")
RECORDED_GROUPS = frozenset({"b", "c", "d"})  # facts recorded on the person, which take precedence over a
ELDERLY_AGE = 60  # Luật Người cao tuổi: từ đủ 60 tuổi
A_FLAGS = frozenset({"elderly", "merit", "poor", "near_poor", "disabled", "chronic", "remote_area"})

#: The report's short label of each group, after the plan's wording.
LABELS = {
    "a": "Nhóm a) Người cao tuổi, người khuyết tật, hộ nghèo, cận nghèo, người có công, bệnh mạn tính, vùng khó khăn, xã đảo",
    "b": "Nhóm b) Trẻ em mầm non, học sinh phổ thông",
    "c": "Nhóm c) Người lao động",
    "d": "Nhóm d) Đối tượng do Bộ Quốc phòng, Bộ Công an quản lý",
    "đ": "Nhóm đ) Đối tượng khác",
}
SHORT_LABELS = {
    "a": "Nhóm a",
    "b": "Nhóm b",
    "c": "Nhóm c",
    "d": "Nhóm d",
    "đ": "Nhóm đ",
}

#: The plan's own words (mục III.2), printed in the report's footnotes.
PLAN_TEXT = {
    "a": (
        "Người cao tuổi, người khuyết tật, người thuộc hộ nghèo, cận nghèo, người có công, người mắc bệnh mạn "
        "tính, người sống tại vùng đồng bào dân tộc thiểu số và miền núi, vùng có điều kiện kinh tế - xã hội khó "
        "khăn, xã đảo, đặc khu và không thuộc quy định tại các điểm b, c và d"
    ),
    "b": "Trẻ em trong cơ sở giáo dục mầm non, học sinh trong các cơ sở giáo dục phổ thông",
    "c": "Người lao động",
    "d": "Các đối tượng thuộc Bộ Quốc phòng, Bộ Công an quản lý",
    "đ": "Các đối tượng không thuộc quy định tại điểm a, b, c và điểm d",
}

#: The priority sub-groups of group a the plan names (mục II.2, Phụ lục I), in the report's order. A person may
#: be in several of them.
PRIORITY: tuple[tuple[str, str], ...] = (
    ("elderly", "Người cao tuổi (từ đủ 60 tuổi)"),
    ("disabled", "Người khuyết tật"),
    ("poor_near_poor", "Người thuộc hộ nghèo, cận nghèo"),
    ("merit", "Người có công"),
    ("chronic", "Người mắc bệnh mạn tính"),
    ("remote_island", "Vùng DTTS, miền núi, vùng khó khăn, xã đảo, đặc khu"),
)


def island_commune(code: str | None) -> bool:
    """Whether *code* is an island unit of Hải Phòng (a đặc khu or a "Xã đảo …")."""
    commune = commune_by_code(code) if code else None
    return commune is not None and commune.is_island


def priority_of(flags: Iterable[str], age: int | None, island: bool) -> frozenset[str]:
    """The priority sub-groups (keys of :data:`PRIORITY`) a person with *flags*, *age* on the reference day and
    living (or not) in an island commune belongs to."""
    f = set(flags)
    out = set()
    if "elderly" in f or (age is not None and age >= ELDERLY_AGE):
        out.add("elderly")
    if "disabled" in f:
        out.add("disabled")
    if "poor" in f or "near_poor" in f:
        out.add("poor_near_poor")
    if "merit" in f:
        out.add("merit")
    if "chronic" in f:
        out.add("chronic")
    if "remote_area" in f or island:
        out.add("remote_island")
    return frozenset(out)


def classify(stored: str | None, priority: frozenset[str]) -> str:
    """The plan's group of a person whose recorded group is *stored* and who belongs to the *priority*
    sub-groups: b, c or d as recorded; else a when any of a's criteria holds; else đ."""
    if stored in RECORDED_GROUPS:
        return stored
    return "a" if priority else "đ"


def group_on(
    on: date,
    stored: str | None,
    flags: Iterable[str],
    birth_date: date | str | None,
    birth_year: int | None,
    commune_code: str | None,
) -> str:
    """The plan's group of one person on day *on* (age counted that day)."""
    age = age_on(on, birth_date, birth_year)
    return classify(stored, priority_of(flags, age, island_commune(commune_code)))
