"""The monthly report of the city plan (Phụ lục II: "báo cáo số liệu KSK định kỳ trước ngày 15 hằng tháng"):
per target group a–đ and in total, people managed, examined in the month, examined this year, the rate and next
year's need; the priority sub-groups of group a; the split by funding source (CV 1129/TTg-KGVX).

``build`` returns the report as JSON-ready data (the shape of ``ksk report monthly --json``); ``report_xlsx`` and
``report_pdf`` write it as a Sở Y tế would file it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.db.models import Station
from ksk_desktop.errors import InvalidInput
from ksk_desktop.reports import funding, settings
from ksk_desktop.reports.figures import Figures, compute, rate
from ksk_desktop.reports.target_groups import GROUPS, LABELS, PLAN_TEXT, PRIORITY
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
FORMAT = 1  # the report's JSON format, frozen with every submission


def parse_month(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    m = _MONTH.fullmatch(str(month).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(f"Tháng {month!r} không hợp lệ: nhập theo dạng NNNN-TT, ví dụ 2026-11.")
    y, mo = int(m.group(1)), int(m.group(2))
    settings.check_year(y)
    return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])


def station_facts(s: Session) -> dict:
    st = s.scalars(select(Station)).one()
    commune = commune_by_code(st.commune_code)
    return {
        "station_code": st.code,
        "station_name": st.name,
        "commune_code": st.commune_code,
        "commune_name": commune.name if commune else None,
        "commune_kind": commune.kind if commune else None,
    }


def definitions(as_of_label: str, need_year: int) -> list[str]:
    """The report's footnotes: which definitions are the plan's and which are the software's."""
    plan = [f"Nhóm {g}) theo Kế hoạch của UBND thành phố, mục III.2: {PLAN_TEXT[g]}." for g in GROUPS]
    return [
        *plan,
        "Mỗi người chỉ thuộc một nhóm, theo thứ tự của Kế hoạch: nhóm b, c, d theo nhóm đã ghi trong hồ sơ (đang "
        "học, đang lao động, thuộc lực lượng vũ trang); người không thuộc b, c, d có một trong các tiêu chí của "
        "nhóm a (từ đủ 60 tuổi, khuyết tật, hộ nghèo, cận nghèo, có công, bệnh mạn tính, vùng khó khăn, xã đảo, "
        "đặc khu) thuộc nhóm a; còn lại thuộc nhóm đ.",
        f"Số đối tượng quản lý: người có trong danh sách của trạm đến hết ngày {as_of_label}, cư trú tại xã "
        "(mã xã của hồ sơ là mã xã của trạm hoặc chưa ghi); người có mã xã khác (đã chuyển đi) không tính.",
        "Số đã khám: số người (không tính trùng) có phiếu khám đã được bác sĩ ký, ngày khám trong tháng / từ "
        f"01/01 đến hết ngày {as_of_label}. Tỷ lệ (%) = số đã khám lũy kế năm ÷ số đối tượng quản lý.",
        f"Nhu cầu khám năm {need_year} (định nghĩa của phần mềm): toàn bộ người đang quản lý, vì mỗi người dân "
        f"được khám ít nhất một lần mỗi năm; xếp nhóm theo tuổi tại ngày 31/12/{need_year}.",
        "Các nhóm ưu tiên là nhóm con của nhóm a; một người có thể thuộc nhiều nhóm ưu tiên.",
        'Nguồn kinh phí (định nghĩa của phần mềm): theo mục "Nguồn chi trả" của phiếu khám; phiếu không ghi '
        "thì theo nguồn do Trưởng trạm đặt cho nhóm, mặc định: nhóm a, b, đ ngân sách địa phương; nhóm c người "
        "sử dụng lao động; nhóm d ngân sách trung ương (Bộ Quốc phòng, Bộ Công an).",
    ]


def shape(fig: Figures, *, funding_keys: bool = True) -> dict:
    """The groups, total and priority sub-groups of *fig* as the report's JSON."""
    return {
        "groups": [
            {"group": g, "label": LABELS[g], **fig.groups[g].as_json(with_funding=funding_keys)}
            for g in GROUPS
        ],
        "total": fig.total.as_json(with_funding=funding_keys),
        "priority": [
            {"key": k, "label": label, **fig.priority[k].as_json(with_need=False, with_funding=False)}
            for k, label in PRIORITY
        ],
        "not_resident": fig.not_resident,
        "no_recorded_group": fig.no_recorded_group,
        "reclassified": fig.reclassified,
    }


def build(ctx: StationSession, month: str) -> dict:
    """The monthly report of ``YYYY-MM``. A month not over yet is reported as on today (``partial``); a month
    to come is refused."""
    ctx.require(Perm.REPORT_READ)
    first, last = parse_month(month)
    today = ctx.clock.today()
    if first > today:
        raise InvalidInput(f"Tháng {first.month:02d}/{first.year} chưa đến: chưa có số liệu để báo cáo.")
    as_of = min(last, today)
    with ctx.read() as s:
        facts = station_facts(s)
        defaults = {g: v["funding"] for g, v in settings.read(s, first.year).items()}
        fig = compute(
            s,
            station_commune=facts["commune_code"],
            as_of=as_of,
            month_start=first,
            need_on=date(first.year + 1, 12, 31),
            defaults=defaults,
        )
    return {
        "format": FORMAT,
        "kind": "monthly",
        "month": f"{first.year:04d}-{first.month:02d}",
        **facts,
        "period_start": first.isoformat(),
        "as_of": as_of.isoformat(),
        "partial": as_of < last,
        "need_year": first.year + 1,
        "generated_at": ctx.clock.now().isoformat(timespec="seconds"),
        **shape(fig),
        "funding_sources": [{"key": k, "label": v} for k, v in funding.SOURCES],
        "funding_defaults": defaults,
        "definitions": definitions(as_of.strftime("%d/%m/%Y"), first.year + 1),
        "data_version": fig.data_version,
    }


__all__ = ["FORMAT", "build", "definitions", "parse_month", "rate", "shape", "station_facts"]
