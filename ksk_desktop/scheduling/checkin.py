"""The exam-day desk: check a person in (CCCD scan or the appointment barcode) and give the day's next queue
number; take a walk-in into the next free slot today.

A re-scan of someone already checked in answers with the same queue number (nothing is written). Someone not on
today's list gets :class:`NotOnTodaysList` (with their id, so the desk can offer a walk-in); someone examined
this year gets :class:`AlreadyExamined`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ksk_desktop.cccd import parse_cccd
from ksk_desktop.dates import hhmm, show_date
from ksk_desktop.db.models import Appointment, Campaign, ExamDay, Person, Site, Slot
from ksk_desktop.errors import InvalidInput, NotFound, Remedy
from ksk_desktop.ids import new_id
from ksk_desktop.people.registration import find_match
from ksk_desktop.redact import tail
from ksk_desktop.scheduling import appointments as appts
from ksk_desktop.scheduling import desk_owner, sync_payload
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.errors import AlreadyExamined, DayOverCapacity, InvalidStatus, NotOnTodaysList
from ksk_desktop.scheduling.examined import examined_on
from ksk_desktop.scheduling.planner import priority_of
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfkc

_ID_NUMBER = re.compile(r"[0-9]{9}|[0-9]{12}")  # ASCII, in full, on NFKC text (see is_id_number)


@dataclass
class CheckIn:
    status: str  # checked_in | already_checked_in | walk_in
    queue_no: int
    appointment: dict
    person: dict
    matched_by: str | None = None

    @property
    def message(self) -> str:
        a = self.appointment
        head = {
            "checked_in": "Đã tiếp đón",
            "already_checked_in": "Đã tiếp đón từ trước",
            "walk_in": "Đã tiếp nhận khám ngoài lịch",
        }[self.status]
        return (
            f"{head}: {self.person['name']} — số thứ tự {self.queue_no} (ca {a['start']}, {a['site_name']})."
        )

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "queue_no": self.queue_no,
            "message": self.message,
            "matched_by": self.matched_by,
            "appointment": self.appointment,
            "person": self.person,
        }


def _person(s: Session, person_id: str) -> dict:
    p = s.get(Person, person_id)
    if p is None:
        raise NotFound(f"Không tìm thấy người có mã {person_id}.")
    return {
        "id": p.id,
        "name": p.full_name,
        "dob": p.birth_date.isoformat() if p.birth_date else None,
        "birth_year": p.birth_year,
        "sex": p.sex,
        "hamlet": p.hamlet,
        "group": p.target_group,
        "phone": p.phone,
    }


def _who(person: dict) -> str:
    """Name and date of birth, for the desk's window only: never in an error's message (``ksk_desktop.redact``)."""
    return f"{person['name']} ({show_date(person['dob']) or person['birth_year'] or '?'})"


def next_queue_no(s: Session, day_id: str) -> int:
    return (s.scalar(text("SELECT max(queue_no) FROM appointment WHERE day_id = :d"), {"d": day_id}) or 0) + 1


def _admit(ctx: StationSession, s: Session, appt: Appointment, how: str, matched_by: str | None) -> CheckIn:
    person = _person(s, appt.person_id)
    if appt.status in (st.CHECKED_IN, st.IN_EXAM):
        assert appt.queue_no is not None  # given at check-in
        return CheckIn("already_checked_in", appt.queue_no, appts.to_json(s, appt), person, matched_by)
    if appt.status == st.EXAMINED:
        raise AlreadyExamined(
            f"Người này đã khám xong hôm nay (số thứ tự {appt.queue_no}).", appt.person_id, _who(person)
        )
    appts.check_step(appt, st.CHECKED_IN, "tiếp đón")
    desk_owner.claim_for_checkin(ctx, s, s.get_one(ExamDay, appt.day_id))
    queue = next_queue_no(s, appt.day_id)
    appts.change(
        ctx,
        s,
        appt,
        "appointment.checkin",
        {"by": how, "queue_no": queue},
        status=st.CHECKED_IN,
        queue_no=queue,
        checked_in_at=ctx.clock.utcnow(),
    )
    return CheckIn("checked_in", queue, appts.to_json(s, appt), person, matched_by)


def _examined_this_year(s: Session, person_id: str, year: int) -> str | None:
    """The date the person was examined this year, if they were."""
    return examined_on(s, person_id, year)


def _check_in_person(
    ctx: StationSession, s: Session, person_id: str, today: date, site_id: str | None, matched_by: str | None
) -> CheckIn:
    rows = s.execute(
        select(Appointment, ExamDay)
        .join(ExamDay, ExamDay.id == Appointment.day_id)
        .where(Appointment.person_id == person_id, Appointment.status.in_(st.ACTIVE))
        .order_by(ExamDay.exam_date)
    ).all()
    todays = [(a, d) for a, d in rows if d.exam_date == today and (site_id is None or d.site_id == site_id)]
    if todays:
        todays.sort(key=lambda r: (r[0].status == st.EXAMINED, r[0].status not in st.EXPECTED))
        return _admit(ctx, s, todays[0][0], "person", matched_by)
    person = _person(s, person_id)
    who = _who(person)
    done = _examined_this_year(s, person_id, today.year)
    if done:
        raise AlreadyExamined(
            f"Người này đã khám ngày {show_date(done)} trong năm {today.year}: không cần khám lại.",
            person_id,
            who,
        )
    later = [(a, d) for a, d in rows if a.status in st.EXPECTED]
    if later:
        upcoming = [x for x in later if x[1].exam_date >= today]
        a, d = upcoming[0] if upcoming else later[-1]
        slot, site = s.get_one(Slot, a.slot_id), s.get_one(Site, d.site_id)
        other = {
            "appointment_id": a.id,
            "date": d.exam_date.isoformat(),
            "start": slot.start_time,
            "site_name": site.name,
        }
        raise NotOnTodaysList(
            f"Người này không có trong danh sách khám hôm nay ({show_date(today)}): lịch hẹn là ngày "
            f"{show_date(d.exam_date)} lúc {slot.start_time} tại {site.name}. Có thể tiếp nhận "
            "khám ngoài lịch (walk-in) nếu còn chỗ.",
            person_id,
            other,
            who,
        )
    raise NotOnTodaysList(
        f"Người này không có trong danh sách khám hôm nay ({show_date(today)}) và chưa có lịch hẹn. "
        "Có thể tiếp nhận khám ngoài lịch (walk-in) nếu còn chỗ.",
        person_id,
        who=who,
    )


def checkin_by_payload(
    ctx: StationSession, payload: str, *, today: date | None = None, site_id: str | None = None
) -> CheckIn:
    """Check in the holder of a scanned CCCD (matched like registration: ID, old ID, name + date of birth)."""
    ctx.require(Perm.CHECKIN)
    today = today or ctx.clock.today()
    card = parse_cccd(payload, today=today)  # InvalidCccdPayload names what is wrong with the scan
    person_id, matched_by = find_match(ctx, card)
    if person_id is None:
        raise NotOnTodaysList(
            "Người có thẻ vừa quét chưa có trong danh sách người dân của trạm, nên không có "
            "lịch khám hôm nay: đăng ký người này (quét thẻ ở màn hình đăng ký) rồi tiếp nhận khám ngoài lịch.",
            who=f"{card.name} (sinh {show_date(card.dob)})",
        )
    with ctx.write() as s:
        return _check_in_person(ctx, s, person_id, today, site_id, matched_by)


def checkin_by_appointment(ctx: StationSession, appointment_id: str, *, today: date | None = None) -> CheckIn:
    """Check in by the appointment id printed as a barcode on the schedule or the invitation."""
    ctx.require(Perm.CHECKIN)
    today = today or ctx.clock.today()
    with ctx.write() as s:
        appt = appts.load(s, appointment_id)
        day = s.get_one(ExamDay, appt.day_id)
        if day.exam_date != today:
            person = _person(s, appt.person_id)
            if appt.status in st.EXPECTED:
                raise NotOnTodaysList(
                    f"Lịch hẹn này là ngày {show_date(day.exam_date)}, không phải hôm nay "
                    f"({show_date(today)}). Có thể tiếp nhận khám ngoài lịch (walk-in) nếu còn chỗ.",
                    appt.person_id,
                    {"appointment_id": appt.id, "date": day.exam_date.isoformat()},
                    _who(person),
                )
            return _check_in_person(ctx, s, appt.person_id, today, None, "appointment")
        if appt.status not in st.ACTIVE:
            raise InvalidStatus(
                f"Lịch hẹn đang ở trạng thái “{st.LABELS[appt.status]}”, không tiếp đón được."
            )
        return _admit(ctx, s, appt, "appointment", "appointment")


def checkin_by_person(
    ctx: StationSession, person_id: str, *, today: date | None = None, site_id: str | None = None
) -> CheckIn:
    """Check in a person found at the desk by name or ID number (no card with them): same rules as a scan."""
    ctx.require(Perm.CHECKIN)
    today = today or ctx.clock.today()
    with ctx.write() as s:
        return _check_in_person(ctx, s, person_id, today, site_id, "search")


def is_id_number(value: str) -> bool:
    """A personal ID (12 digits) or an old ID card number (9 digits), as typed at the desk (full-width digits
    count as the ASCII ones: NFKC first)."""
    return _ID_NUMBER.fullmatch(nfkc(value).strip()) is not None


def is_desk_code(value: str) -> bool:
    """Something the desk can check in by: an appointment barcode, an ID number, or a CCCD QR payload (fields
    separated by "|")."""
    return appts.looks_like_id(value) or is_id_number(value) or "|" in value


def checkin_by_id_number(
    ctx: StationSession, number: str, *, today: date | None = None, site_id: str | None = None
) -> CheckIn:
    """Check in the one person who holds this personal ID (12 digits) or old ID number (9 digits), typed at the
    desk when the card's QR cannot be read: same rules as a scan."""
    ctx.require(Perm.CHECKIN)
    number = nfkc(number).strip()
    if not is_id_number(number):
        raise InvalidInput(
            f"Số đã nhập ({len(number)} ký tự) không phải số định danh cá nhân (12 chữ số) hay số CMND (9 chữ số)."
        )
    today = today or ctx.clock.today()
    column = "personal_id" if len(number) == 12 else "old_id"
    with ctx.write() as s:
        found = s.scalars(select(Person.id).where(getattr(Person, column) == number).limit(2)).all()
        if not found:
            raise NotFound(
                f"Không có ai mang số {tail(number)} trong danh sách người dân của trạm: quét thẻ CCCD để đăng ký "
                "người mới, hoặc tìm theo họ tên."
            )
        if len(found) > 1:
            raise InvalidInput(
                f"Có nhiều người mang số CMND {tail(number)}: tìm theo họ tên để chọn đúng người."
            )
        return _check_in_person(ctx, s, found[0], today, site_id, column)


def checkin_scan(
    ctx: StationSession, scanned: str, *, today: date | None = None, site_id: str | None = None
) -> CheckIn:
    """What the desk's scanner read or someone typed: an appointment barcode, an ID number or a CCCD QR payload."""
    if appts.looks_like_id(scanned):
        return checkin_by_appointment(ctx, scanned, today=today)
    if is_id_number(scanned):
        return checkin_by_id_number(ctx, scanned, today=today, site_id=site_id)
    return checkin_by_payload(ctx, scanned, today=today, site_id=site_id)


# -- walk-ins -------------------------------------------------------------------------------------------------
def _todays_day(s: Session, today: date, day_id: str | None) -> ExamDay:
    if day_id:
        day = s.get(ExamDay, day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {day_id}.")
        if day.exam_date != today:
            raise InvalidInput(f"Ngày khám đã chọn là {show_date(day.exam_date)}, không phải hôm nay.")
        return day
    days = list(
        s.scalars(
            select(ExamDay)
            .join(Site, Site.id == ExamDay.site_id)
            .where(ExamDay.exam_date == today, Site.active.is_(True))
        )
    )
    if not days:
        raise InvalidInput(
            f"Hôm nay ({show_date(today)}) không có ngày khám nào: thêm ngày khám trước.",
            remedy=Remedy.ADD_EXAM_DAY,
        )
    if len(days) > 1:
        names = ", ".join(s.get_one(Site, d.site_id).name for d in days)
        raise InvalidInput(f"Hôm nay có nhiều điểm khám ({names}): chọn ngày khám của điểm đang tiếp đón.")
    return days[0]


def _campaign_for(s: Session, person: dict, year: int, campaign_id: str | None) -> Campaign:
    if campaign_id:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound(f"Không tìm thấy đợt khám {campaign_id}.")
        return c
    fits = [
        c
        for c in s.scalars(select(Campaign).where(Campaign.year == year).order_by(Campaign.created_at))
        if person["group"] in json.loads(c.target_groups)
        or (person["group"] is None and len(json.loads(c.target_groups)) == 5)
    ]
    if not fits:
        raise InvalidInput(
            f"Chưa có đợt khám năm {year} cho nhóm đối tượng của người này: tạo đợt khám trước.",
            remedy=Remedy.CREATE_CAMPAIGN,
        )
    if len(fits) > 1:
        raise InvalidInput(f"Có {len(fits)} đợt khám năm {year} phù hợp với người này: chọn một đợt khám.")
    return fits[0]


def walk_in(
    ctx: StationSession,
    person_id: str,
    *,
    campaign_id: str | None = None,
    day_id: str | None = None,
    now: datetime | None = None,
    allow_over_capacity: bool = False,
) -> CheckIn:
    """Take a person with no appointment today: the next slot today with room (from the slot under way), then
    check them in. An appointment on another day moves to today. ``allow_over_capacity`` (station head only)
    puts them in the current slot even when today is full."""
    ctx.require(Perm.CHECKIN)
    if allow_over_capacity:
        ctx.require(Perm.SCHEDULE_MANAGE)
    now = now or ctx.clock.local_now()
    today = now.date()
    with ctx.write() as s:
        person = _person(s, person_id)
        done = _examined_this_year(s, person_id, today.year)
        if done:
            raise AlreadyExamined(
                f"Người này đã khám ngày {show_date(done)} trong năm {today.year}: không cần khám lại.",
                person_id,
                _who(person),
            )
        day = _todays_day(s, today, day_id)
        campaign = _campaign_for(s, person, today.year, campaign_id)
        current = s.scalar(
            select(Appointment).where(
                Appointment.person_id == person_id,
                Appointment.campaign_id == campaign.id,
                Appointment.status.in_(st.ACTIVE),
            )
        )
        if current is not None and current.day_id == day.id:
            return _admit(ctx, s, current, "walk_in", None)  # they were on today's list after all
        if current is not None and current.status not in st.EXPECTED:
            raise InvalidStatus(f"Người này đang có lịch hẹn ở trạng thái “{st.LABELS[current.status]}”.")
        slot = _next_free_slot(s, day, hhmm(now), allow_over_capacity)
        desk_owner.claim_for_checkin(ctx, s, day)
        queue = next_queue_no(s, day.id)
        stamp = ctx.clock.utcnow()
        if current is not None:  # the appointment of another day comes to today
            old = {"day": current.day_id, "slot": current.slot_id}
            appts.change(
                ctx,
                s,
                current,
                "appointment.walk_in",
                {"from": old, "queue_no": queue},
                day_id=day.id,
                slot_id=slot.id,
                status=st.CHECKED_IN,
                queue_no=queue,
                checked_in_at=stamp,
                walk_in=True,
            )
            return CheckIn("walk_in", queue, appts.to_json(s, current), person)
        priority, _pupil = priority_of(s, person_id, campaign.year)
        no_show = s.scalar(
            select(Appointment)
            .where(
                Appointment.person_id == person_id,
                Appointment.campaign_id == campaign.id,
                Appointment.status == st.NO_SHOW,
            )
            .order_by(Appointment.updated_at.desc())
            .limit(1)
        )
        appt = Appointment(
            id=new_id(),
            person_id=person_id,
            campaign_id=campaign.id,
            day_id=day.id,
            slot_id=slot.id,
            status=st.CHECKED_IN,
            queue_no=queue,
            priority=int(priority),
            locked=False,
            walk_in=True,
            rescheduled_from=no_show.id if no_show else None,
            note=None,
            checked_in_at=stamp,
            created_by=ctx.user.username,
            created_at=stamp,
            updated_at=stamp,
            version=1,
        )
        if no_show is not None:
            appts.change(ctx, s, no_show, "appointment.reschedule", {"to": appt.id}, status=st.RESCHEDULED)
        s.add(appt)
        sync_payload.queue(s, [appt.id])
        over = appts.slot_room(s, slot) < 0
        ctx.audit(
            s,
            "appointment.walk_in",
            "appointment",
            appt.id,
            {
                "person": person_id,
                "campaign": campaign.id,
                "day": day.id,
                "slot": slot.id,
                "queue_no": queue,
                "over_capacity": over,
            },
        )
        return CheckIn("walk_in", queue, appts.to_json(s, appt), person)


def _next_free_slot(s: Session, day: ExamDay, clock: str, allow_over_capacity: bool) -> Slot:
    slots = list(s.scalars(select(Slot).where(Slot.day_id == day.id).order_by(Slot.seq)))
    ahead = [x for x in slots if x.end_time > clock] or slots[-1:]
    for x in ahead:
        if appts.slot_room(s, x) > 0:
            return x
    if allow_over_capacity:
        return ahead[0]
    raise DayOverCapacity(
        f"Hôm nay ({show_date(day.exam_date)}) các ca từ {ahead[0].start_time} đã kín chỗ: hẹn "
        "người này ngày khác, hoặc trưởng trạm cho phép khám vượt công suất."
    )
