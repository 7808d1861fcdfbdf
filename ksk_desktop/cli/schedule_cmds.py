"""``ksk campaign|site|day|schedule|checkin``: campaigns, sites, exam days, the planner, the day's schedule and
board, check-in at the desk, end-of-day reconciliation and coverage."""

from __future__ import annotations

import argparse
import contextlib
from datetime import date
from pathlib import Path

from ksk_desktop import dates
from ksk_desktop.cli import desk_cmds
from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.errors import InvalidInput
from ksk_desktop.station.session import StationSession

# -- parsing ------------------------------------------------------------------------------------------------------


def parse_date(value: str) -> date:
    """dd/mm/yyyy, ISO yyyy-mm-dd, or "today" / "hom-nay" (the date in Vietnam, by the system clock: the command
    line's session runs on it)."""
    from ksk_desktop.clock import SYSTEM_CLOCK

    v = (value or "").strip().lower()
    if v in ("today", "hom-nay", "homnay", "hôm nay", "hôm-nay"):
        return SYSTEM_CLOCK.today()
    with contextlib.suppress(ValueError):
        return dates.parse_date(v, ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"))
    raise InvalidInput(f"Ngày {value!r} không hợp lệ (dùng dd/mm/yyyy, ví dụ 15/03/2026).")


def _dmy(iso: str | None) -> str:
    from ksk_desktop.dates import show_date

    return show_date(iso)


def _groups(value: str | None) -> set[str]:
    from ksk_desktop.scheduling.campaigns import parse_groups

    return set(parse_groups(value)) if value else set()


def _forms(values: list[str] | None) -> dict[str, str]:
    out = {}
    for item in values or []:
        group, sep, form = item.partition("=")
        if not sep:
            raise InvalidInput(f"--form {item!r}: dùng dạng NHÓM=MẪU, ví dụ b=child-pupil.")
        out[group.strip()] = form.strip()
    return out


# -- campaign, site, day --------------------------------------------------------------------------------------------


def _campaign_create(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import campaigns

    c = campaigns.create_campaign(
        ctx, name=args.name, year=args.year, groups=args.groups, exam_forms=_forms(args.form)
    )
    emit(args, c, f"Đã tạo đợt khám {c.name} năm {c.year} (nhóm {', '.join(c.groups)}), mã {c.id}.")
    return 0


def _campaign_list(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import campaigns

    rows = campaigns.list_campaigns(ctx, args.year)
    lines = [f"{c.id}  {c.year}  {c.name}  (nhóm {', '.join(c.groups)})" for c in rows]
    emit(args, rows, "\n".join(lines) or "Chưa có đợt khám nào.")
    return 0


def _campaign_lock(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import appointments

    n = appointments.lock_campaign(ctx, args.campaign, not args.unlock)
    word = "Đã mở khóa" if args.unlock else "Đã khóa"
    emit(
        args,
        {"campaign_id": args.campaign, "locked": not args.unlock, "appointments_changed": n},
        f"{word} {n} lịch hẹn của đợt khám.",
    )
    return 0


def _site_add(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import sites

    site = sites.add_site(
        ctx,
        name=args.name,
        kind=args.kind,
        mobile=args.mobile,
        capacity_per_hour=args.capacity,
        address=args.address,
    )
    cap = f"{site.capacity_per_hour} người/giờ" if site.capacity_per_hour else "chưa đặt công suất"
    emit(
        args,
        site,
        f"Đã thêm điểm khám {site.name} ({sites.KIND_LABELS[site.kind]}, {cap}), mã {site.id}.",
    )
    return 0


def _site_edit(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import sites

    changes: dict = {}
    if args.capacity is not None:
        changes["capacity_per_hour"] = args.capacity
    if args.inactive:
        changes["active"] = False
    if args.active:
        changes["active"] = True
    site = sites.update_site(ctx, args.id, name=args.name, address=args.address, **changes)
    emit(args, site, f"Đã lưu điểm khám {site.name}.")
    return 0


def _site_list(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import sites

    rows = sites.list_sites(ctx, include_inactive=args.all)
    lines = [
        f"{x.id}  {x.name}  ({sites.KIND_LABELS[x.kind]}, {x.capacity_per_hour or 'chưa đặt'} người/giờ)"
        for x in rows
    ]
    emit(args, rows, "\n".join(lines) or "Chưa có điểm khám nào.")
    return 0


def _day_add(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import days

    d = days.add_day(
        ctx,
        site_id=args.site,
        day=parse_date(args.date),
        hours=args.slots,
        slot_minutes=args.slot_minutes,
        capacity_per_slot=args.capacity_per_slot,
        team_note=args.team,
    )
    emit(
        args,
        d,
        f"Đã thêm ngày khám {_dmy(d.date)} tại {d.site_name}: {len(d.slots or [])} ca "
        f"{d.slot_minutes} phút, {d.capacity_per_slot} người/ca ({d.capacity} người), mã {d.id}.",
    )
    return 0


def _day_list(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import days

    rows = days.list_days(
        ctx,
        parse_date(args.date_from) if args.date_from else None,
        parse_date(args.date_to) if args.date_to else None,
        args.site,
    )
    lines = [
        f"{d.id}  {_dmy(d.date)}  {d.site_name:<30} {d.booked}/{d.capacity}"
        + ("  [khóa]" if d.locked else "")
        for d in rows
    ]
    emit(args, rows, "\n".join(lines) or "Chưa có ngày khám nào.")
    return 0


def _day_capacity(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import days

    d = days.set_capacity(ctx, args.day, args.capacity_per_slot)
    emit(args, d, f"Ngày {_dmy(d.date)}: {d.capacity_per_slot} người/ca.")
    return 0


def _day_lock(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import days

    d = days.lock_day(ctx, args.day, not args.unlock)
    emit(
        args,
        d,
        f"{'Đã mở khóa' if args.unlock else 'Đã khóa'} ngày {_dmy(d.date)} "
        f"({d.appointments_changed} lịch hẹn).",
    )
    return 0


# -- schedule -------------------------------------------------------------------------------------------------------


def _plan(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import planner

    population = planner.Population(
        groups=_groups(args.group),
        flags=set(args.flag or []),
        hamlets=set(args.hamlet or []),
        not_examined_this_year=not args.include_examined,
    )
    result = planner.plan(
        ctx,
        args.campaign,
        parse_date(args.date_from),
        parse_date(args.date_to),
        site_id=args.site,
        population=population,
        dry_run=args.dry_run,
        rebalance=args.rebalance,
    )
    data = result.to_json()
    c = data["counts"]
    head = "XEM TRƯỚC (chưa ghi gì)" if args.dry_run else "Đã xếp lịch"
    lines = [
        f"{head}: {c['placed']} người có lịch ({c['new']} mới, {c['moved']} chuyển ca, {c['unchanged']} giữ "
        f"nguyên), {c['unplaced']} người chưa xếp được; {c['already_scheduled']} người đã có lịch, "
        f"{c['examined_this_year']} người đã khám trong năm."
    ]
    lines += [
        f"  {_dmy(d['date'])} {d['site_name']}: +{d['placed']} (còn trống {d['free_after']}/{d['capacity']})"
        for d in data["days"]
    ]
    lines += [f"  Chưa xếp được {v['count']} người: {v['reason']}" for v in data["unplaced_reasons"].values()]
    emit(args, data, "\n".join(lines))
    return 0


def _show(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import day_schedule

    data = day_schedule.day_schedule(ctx, parse_date(args.date), args.site)
    lines = []
    for d in data.days:
        lines.append(f"{d.site_name} — {_dmy(data.date)} ({d.booked}/{d.capacity} người)")
        for slot in d.slots:
            lines.append(f"  {slot.start}–{slot.end}  {slot.booked}/{slot.capacity}")
            for a in slot.appointments:
                lines.append(
                    f"    {a['queue_no'] or '':>3}  {a['name']:<28} {_dmy(a['dob']) or a['birth_year'] or '':<10} "
                    f"{a['hamlet'] or '':<16} {a['phone'] or '':<11} {a['status_label']}"
                )
    emit(args, data, "\n".join(lines) or f"Không có ngày khám nào ngày {_dmy(data.date)}.")
    return 0


def _move(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import appointments

    a = appointments.move_appointment(ctx, args.appointment, args.slot)
    emit(args, a, f"Đã chuyển {a['name']} sang ca {a['start']} ngày {_dmy(a['date'])}.")
    return 0


def _notify(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import appointments

    n = appointments.mark_notified(ctx, args.appointment)
    emit(args, {"notified": n}, f"Đã đánh dấu {n} lịch hẹn là đã báo.")
    return 0


def _cancel(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import appointments

    a = appointments.cancel_appointment(ctx, args.appointment, args.reason or "")
    emit(args, a, f"Đã hủy lịch hẹn của {a['name']}.")
    return 0


def _board(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import board

    data = board.board(ctx, parse_date(args.date), args.site)
    c = data.counts
    human = [
        f"{_dmy(data.date)}: chờ khám {c.waiting}, đang khám {c.in_exam}, đã khám {c.done}, "
        f"vắng {c.no_show}, chưa đến {c.expected}."
    ]
    human += [f"  {r['queue_no']:>3}  {r['name']}" for r in data.waiting]
    emit(args, data, "\n".join(human))
    return 0


def _calling(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import calling

    data = calling.now_calling(ctx, parse_date(args.date), args.site, upcoming=args.next)
    said = [f"số {c.queue_no}" + (f" — {c.room}" if c.room else "") for c in data.called]
    upcoming = ", ".join(str(n) for n in data.upcoming) or "không còn ai chờ"
    human = [
        f"Mời {said[0]}" if said else "Chưa gọi số nào.",
        f"Tiếp theo: {upcoming} ({data.waiting} người đang chờ).",
    ]
    emit(args, data, "\n".join(human + [f"  đang khám: {x}" for x in said[1:]]))
    return 0


def _reconcile(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import reconcile

    data = reconcile.reconcile(ctx, parse_date(args.date), site_id=args.site)
    c = data["counts"]
    lines = [
        f"{_dmy(data['date'])}: {c['examined']} đã khám, {c['no_show']} vắng mặt ({c['marked_now']} vừa ghi nhận), "
        f"{c['not_finished']} đã tiếp đón nhưng chưa khám xong."
    ]
    lines += [f"  vắng: {r['name']} — {r['hamlet'] or ''} {r['phone'] or ''}" for r in data["no_show"]]
    if data["no_show"] and data["make_up_days"]:
        lines.append("Ngày có thể khám bù (ksk schedule makeup --date NGÀY-VẮNG --day MÃ-NGÀY):")
        lines += [f"  {d.id}  {_dmy(d.date)} {d.site_name} còn {d.free} chỗ" for d in data["make_up_days"]]
    emit(args, data, "\n".join(lines))
    return 0


def _makeup(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import reconcile

    data = reconcile.reschedule_no_shows(
        ctx,
        args.day,
        no_show_date=parse_date(args.date) if args.date else None,
        appointment_ids=args.appointment,
    )
    lines = [f"Đã hẹn lại {len(data['rescheduled'])} người vào ngày {_dmy(data['make_up_day']['date'])}."]
    lines += [f"  Không hẹn lại được {x['name']}: {x['reason']}" for x in data["not_rescheduled"]]
    emit(args, data, "\n".join(lines))
    return 0


def _noshow(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import board

    a = board.mark_no_show(ctx, args.appointment)
    emit(args, a, f"Đã ghi nhận {a['name']} vắng mặt ngày {_dmy(a['date'])}.")
    return 0


def _board_step(step: str):  # noqa: ANN202 - an argparse handler
    """The exam rooms' steps on the day's board, as the Hôm nay page takes them."""

    def run(ctx: StationSession, args: argparse.Namespace) -> int:
        from ksk_desktop.scheduling import board

        if step == "call":
            a = board.start_exam(ctx, args.appointment, room=args.room)
            into = f" vào {args.room.strip()}" if args.room and args.room.strip() else " vào khám"
            human = f"Đã gọi {a['name']} (số thứ tự {a['queue_no']}){into}."
        elif step == "requeue":
            a = board.return_to_queue(ctx, args.appointment)
            human = f"Đã trả {a['name']} về hàng chờ (số thứ tự {a['queue_no']})."
        else:
            a = board.mark_examined(ctx, args.appointment)
            human = f"Đã ghi nhận {a['name']} khám xong."
        emit(args, a, human)
        return 0

    return run


def _walkin(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import checkin

    result = checkin.walk_in(
        ctx, args.person, campaign_id=args.campaign, day_id=args.day, allow_over_capacity=args.over_capacity
    )
    emit(args, result.to_json(), result.message)
    return 0


def _coverage(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import coverage

    data = coverage.coverage(ctx, args.year)
    if args.list:
        data["not_examined"] = coverage.not_examined(
            ctx, args.year, hamlet=args.hamlet, group=args.group, offset=args.offset, limit=args.limit
        )
    if args.export:
        data["export"] = coverage.export_xlsx(ctx, args.year, Path(args.export))
    t = data["totals"]
    lines = [
        f"Năm {args.year}: {t['examined']}/{t['total']} người đã khám ({t['rate']} %), {t['not_examined']} chưa "
        f"khám ({t['booked']} đã có lịch, {t['not_booked']} chưa có lịch)."
    ]
    lines += [
        f"  {h['hamlet_label']:<30} {h['examined']:>6}/{h['total']:<6} ({h['rate']} %)"
        for h in data["by_hamlet"]
    ]
    if args.export:
        lines.append(f"Đã xuất {data['export']['rows']} người chưa khám vào {args.export}.")
    emit(args, data, "\n".join(lines))
    return 0


# -- check-in -------------------------------------------------------------------------------------------------------


def _checkin(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import checkin

    if args.appointment:
        result = checkin.checkin_by_appointment(ctx, args.appointment)
    elif args.person:
        result = checkin.checkin_by_person(ctx, args.person, site_id=args.site)
    elif args.id_number:
        result = checkin.checkin_by_id_number(ctx, args.id_number, site_id=args.site)
    else:
        payload = args.payload
        if args.payload_stdin or payload == "-":
            from ksk_desktop.cli.io import _next_stdin_line

            payload = _next_stdin_line("nội dung mã QR")
        result = checkin.checkin_by_payload(ctx, payload, site_id=args.site)
    emit(args, result.to_json(), result.message)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    # ksk campaign ...
    grp = sub.add_parser("campaign", parents=[common], help="đợt khám").add_subparsers(
        dest="campaign_cmd", metavar="LỆNH"
    )
    grp.required = True
    p = grp.add_parser("create", parents=[common], help="tạo đợt khám của một năm")
    p.add_argument("--name", required=True, help="tên đợt khám")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--groups", required=True, help="nhóm đối tượng, ví dụ a,b,c,d,đ")
    p.add_argument("--form", action="append", help="mẫu phiếu khám của một nhóm: NHÓM=MẪU (lặp lại được)")
    p.set_defaults(handler=session_command(_campaign_create))
    p = grp.add_parser("list", parents=[common], help="các đợt khám")
    p.add_argument("--year", type=int)
    p.set_defaults(handler=session_command(_campaign_list))
    p = grp.add_parser(
        "lock", parents=[common], help="khóa lịch đã xếp của đợt khám (xếp lại không di chuyển)"
    )
    p.add_argument("--campaign", required=True)
    p.add_argument("--unlock", action="store_true", help="mở khóa")
    p.set_defaults(handler=session_command(_campaign_lock))

    # ksk site ...
    grp = sub.add_parser("site", parents=[common], help="điểm khám").add_subparsers(
        dest="site_cmd", metavar="LỆNH"
    )
    grp.required = True
    p = grp.add_parser("add", parents=[common], help="thêm điểm khám (trạm hoặc lưu động)")
    p.add_argument("--name", required=True)
    p.add_argument("--mobile", action="store_true", help="điểm khám lưu động")
    p.add_argument("--capacity", type=int, default=40, help="người/giờ (mặc định 40; 0 = chưa đặt)")
    p.add_argument("--kind", help="station|school|factory|village_hall|island|other")
    p.add_argument("--address")
    p.set_defaults(handler=session_command(_site_add))
    p = grp.add_parser("edit", parents=[common], help="sửa điểm khám")
    p.add_argument("id")
    p.add_argument("--capacity", type=int, help="người/giờ (0 = chưa đặt)")
    p.add_argument("--name")
    p.add_argument("--address")
    p.add_argument("--active", action="store_true")
    p.add_argument("--inactive", action="store_true")
    p.set_defaults(handler=session_command(_site_edit))
    p = grp.add_parser("list", parents=[common], help="các điểm khám")
    p.add_argument("--all", action="store_true", help="cả điểm đã ngừng")
    p.set_defaults(handler=session_command(_site_list))

    # ksk day ...
    grp = sub.add_parser("day", parents=[common], help="ngày khám").add_subparsers(
        dest="day_cmd", metavar="LỆNH"
    )
    grp.required = True
    p = grp.add_parser("add", parents=[common], help="thêm ngày khám tại một điểm")
    p.add_argument("--site", required=True, help="mã điểm khám")
    p.add_argument("--date", required=True, help="dd/mm/yyyy")
    p.add_argument(
        "--slots", default="07:30-11:30,13:30-16:30", help="giờ làm việc, ví dụ 07:30-11:30,13:30-16:30"
    )
    p.add_argument("--slot-minutes", type=int, default=30, help="độ dài mỗi ca (phút)")
    p.add_argument(
        "--capacity-per-slot", type=int, help="số người mỗi ca (mặc định: công suất/giờ × phút / 60)"
    )
    p.add_argument("--team", help="ghi chú đội khám")
    p.set_defaults(handler=session_command(_day_add))
    p = grp.add_parser("list", parents=[common], help="các ngày khám")
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--site")
    p.set_defaults(handler=session_command(_day_list))
    p = grp.add_parser("capacity", parents=[common], help="đổi số người mỗi ca của một ngày")
    p.add_argument("--day", required=True)
    p.add_argument("--capacity-per-slot", type=int, required=True)
    p.set_defaults(handler=session_command(_day_capacity))
    p = grp.add_parser("lock", parents=[common], help="khóa lịch của một ngày")
    p.add_argument("--day", required=True)
    p.add_argument("--unlock", action="store_true")
    p.set_defaults(handler=session_command(_day_lock))
    desk_cmds.register_day(grp, common)

    # ksk schedule ...
    grp = sub.add_parser(
        "schedule", parents=[common], help="xếp lịch, lịch ngày, đối soát, độ bao phủ"
    ).add_subparsers(dest="schedule_cmd", metavar="LỆNH")
    grp.required = True
    p = grp.add_parser("plan", parents=[common], help="xếp lịch một nhóm người vào các ngày khám")
    p.add_argument("--campaign", required=True)
    p.add_argument("--from", dest="date_from", required=True)
    p.add_argument("--to", dest="date_to", required=True)
    p.add_argument("--site")
    p.add_argument("--dry-run", action="store_true", help="chỉ xem trước, không ghi gì")
    p.add_argument(
        "--rebalance",
        action="store_true",
        help="dàn đều lại cả những lịch hẹn chưa khóa, chưa báo (mặc định: giữ nguyên người đã có giờ)",
    )
    p.add_argument("--group", help="chỉ các nhóm này, ví dụ a,b (mặc định: các nhóm của đợt khám)")
    p.add_argument("--flag", action="append", help="chỉ người có diện ưu tiên này (lặp lại được)")
    p.add_argument("--hamlet", action="append", help="chỉ thôn / tổ dân phố này (lặp lại được)")
    p.add_argument("--include-examined", action="store_true", help="cả người đã khám trong năm")
    p.set_defaults(handler=session_command(_plan))
    p = grp.add_parser("show", parents=[common], help="lịch một ngày: các ca và người đã hẹn")
    p.add_argument("--date", required=True)
    p.add_argument("--site")
    p.set_defaults(handler=session_command(_show))
    p = grp.add_parser("board", parents=[common], help="bảng theo dõi trong ngày")
    p.add_argument("--date", default="today")
    p.add_argument("--site")
    p.set_defaults(handler=session_command(_board))
    p = grp.add_parser("move", parents=[common], help="chuyển một lịch hẹn sang ca khác")
    p.add_argument("--appointment", required=True)
    p.add_argument("--slot", required=True)
    p.set_defaults(handler=session_command(_move))
    p = grp.add_parser("notify", parents=[common], help="đánh dấu đã báo lịch")
    p.add_argument("--appointment", action="append", required=True)
    p.set_defaults(handler=session_command(_notify))
    p = grp.add_parser("cancel", parents=[common], help="hủy một lịch hẹn")
    p.add_argument("--appointment", required=True)
    p.add_argument("--reason")
    p.set_defaults(handler=session_command(_cancel))
    p = grp.add_parser("reconcile", parents=[common], help="đối soát cuối ngày: ghi nhận người vắng mặt")
    p.add_argument("--date", required=True)
    p.add_argument("--site")
    p.set_defaults(handler=session_command(_reconcile))
    p = grp.add_parser("makeup", parents=[common], help="hẹn người vắng mặt vào ngày khám bù")
    p.add_argument("--day", required=True, help="mã ngày khám bù")
    p.add_argument("--date", help="ngày có người vắng mặt")
    p.add_argument("--appointment", action="append", help="lịch hẹn vắng mặt (lặp lại được)")
    p.set_defaults(handler=session_command(_makeup))
    p = grp.add_parser("noshow", parents=[common], help="ghi nhận một người vắng mặt (từ ngày hẹn trở đi)")
    p.add_argument("--appointment", required=True)
    p.set_defaults(handler=session_command(_noshow))
    for step, text in (
        ("call", "gọi một người đang chờ vào khám"),
        ("requeue", "trả một người đã gọi về hàng chờ (giữ số thứ tự)"),
        ("examined", "ghi nhận một người đã khám xong"),
    ):
        p = grp.add_parser(step, parents=[common], help=text)
        p.add_argument("--appointment", required=True)
        if step == "call":
            p.add_argument(
                "--room", help="phòng khám gọi vào, hiện trên màn hình gọi số (vd. “Phòng khám 1”)"
            )
        p.set_defaults(handler=session_command(_board_step(step)))
    p = grp.add_parser("calling", parents=[common], help="màn hình gọi số: số đang gọi, phòng, số tiếp theo")
    p.add_argument("--date", default="today")
    p.add_argument("--site")
    p.add_argument("--next", type=int, default=5, help="bao nhiêu số tiếp theo (mặc định 5)")
    p.set_defaults(handler=session_command(_calling))
    p = grp.add_parser("walkin", parents=[common], help="tiếp nhận khám ngoài lịch hôm nay")
    p.add_argument("--person", required=True)
    p.add_argument("--campaign")
    p.add_argument("--day")
    p.add_argument("--over-capacity", action="store_true", help="cho khám vượt công suất (trưởng trạm)")
    p.set_defaults(handler=session_command(_walkin))
    p = grp.add_parser("coverage", parents=[common], help="độ bao phủ: ai chưa khám trong năm")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--export", help="xuất ra tệp .xlsx")
    p.add_argument("--list", action="store_true", help="kèm danh sách người chưa khám")
    p.add_argument("--hamlet")
    p.add_argument("--group")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--limit", type=int, default=1000)
    p.set_defaults(handler=session_command(_coverage))

    # ksk checkin ...
    p = sub.add_parser("checkin", parents=[common], help="tiếp đón: quét CCCD hoặc mã vạch lịch hẹn")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--payload", help="nội dung mã QR trên CCCD ('-' để đọc từ stdin)")
    how.add_argument("--payload-stdin", action="store_true", help="đọc nội dung mã QR từ stdin")
    how.add_argument("--appointment", help="mã lịch hẹn (mã vạch trên phiếu hẹn)")
    how.add_argument("--person", help="mã người dân (tìm theo tên khi không mang thẻ)")
    how.add_argument(
        "--id-number", help="số định danh cá nhân (12 chữ số) hoặc số CMND (9 chữ số) khi không quét được thẻ"
    )
    p.add_argument("--site", help="chỉ lịch hẹn tại điểm khám này")
    p.set_defaults(handler=session_command(_checkin))
