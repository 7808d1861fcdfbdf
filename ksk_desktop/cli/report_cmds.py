"""``ksk report monthly|annual|settings|price|submit|submissions``: the city plan's reports by target group, as
JSON, .xlsx or PDF; the head's unit prices and funding defaults; submission to the hub.

Other report commands (the Ministry portal's Excel) add themselves to the same ``report`` group through
:func:`report_group`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, session_command, user_password
from ksk_desktop.station.session import StationSession


def report_group(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse._SubParsersAction:
    """The sub-commands of ``ksk report``, made by whichever module registers first."""
    parser = sub.choices.get("report")
    if parser is None:
        parser = sub.add_parser("report", parents=[common], help="báo cáo theo Kế hoạch của thành phố")
        cmds = parser.add_subparsers(dest="report_cmd", metavar="LỆNH")
        cmds.required = True
        parser.set_defaults(_report_cmds=cmds)
        return cmds
    return parser.get_default("_report_cmds")


def _table(report: dict) -> str:
    lines = [
        f"{'Nhóm':<6}{'Quản lý':>10}{'Khám tháng':>12}{'Lũy kế':>10}{'Tỷ lệ %':>9}{'Nhu cầu':>10}",
    ]
    for r in [*report["groups"], {"group": "Tổng", **report["total"]}]:
        lines.append(
            f"{r['group']:<6}{r['managed']:>10}{r['examined_month']:>12}{r['examined_ytd']:>10}"
            f"{r['rate']:>9.1f}{r['next_year_need']:>10}"
        )
    return "\n".join(lines)


def _out(ctx: StationSession, args: argparse.Namespace, report: dict, title: str) -> int:
    if args.output:
        from ksk_desktop.reports import files

        written = files.write(ctx, report, Path(args.output))
        emit(args, written, f"Đã ghi {title}: {written['file']}")
        return 0
    emit(args, report, f"{title} (số liệu đến hết ngày {report['as_of']})\n{_table(report)}")
    return 0


def _monthly(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports import monthly

    report = monthly.build(ctx, args.month)
    return _out(ctx, args, report, f"Báo cáo tháng {report['month']}")


def _annual(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports import annual

    report = annual.build(ctx, args.year)
    return _out(ctx, args, report, f"Báo cáo năm {report['year']}")


def _settings(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports import settings

    got = settings.get(ctx, args.year)
    human = "\n".join(
        f"Nhóm {g}: đơn giá {v['unit_price'] if v['unit_price'] is not None else '(chưa đặt)'}, "
        f"nguồn kinh phí mặc định {v['funding']}"
        for g, v in got.items()
    )
    emit(args, got, human)
    return 0


def _price(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports import settings

    got = settings.set_group(
        ctx, args.year, args.group, unit_price=args.unit_price, funding_source=args.funding
    )
    emit(args, got, f"Đã đặt cho nhóm {args.group} năm {args.year}: {got[args.group]}")
    return 0


def _submit(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports import submissions

    if (args.month is None) == (args.year is None):
        from ksk_desktop.errors import InvalidInput

        raise InvalidInput("Chọn một kỳ báo cáo: --month NNNN-TT hoặc --year NNNN.")
    kind, period = ("monthly", args.month) if args.month else ("annual", str(args.year))
    # The head attests the figures with their own password: the one this command logged in with.
    done = submissions.submit(ctx, kind, period, user_password(args), reason=args.reason)
    emit(
        args,
        done,
        f"Đã nộp báo cáo {period} (phiên bản {done['version']}); sẽ gửi lên máy chủ thành phố khi đồng bộ.",
    )
    return 0


def _submissions(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports import submissions

    rows = submissions.list_submissions(ctx)
    human = "\n".join(
        f"{r['kind']} {r['period']} v{r['version']} — {r['signer_name']} ({r['signed_at']}, "
        f"{'khóa ' + r['signer_key_id'] if r['signer_key_id'] else 'chưa ký'}) {r['reason'] or ''}"
        for r in rows
    )
    emit(args, rows, human or "Chưa nộp báo cáo nào.")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cmds = report_group(sub, common)
    p = cmds.add_parser("monthly", parents=[common], help="báo cáo tháng theo nhóm đối tượng a–đ")
    p.add_argument("--month", required=True, help="NNNN-TT, ví dụ 2026-11")
    p.add_argument("-o", "--output", help="ghi ra tệp .xlsx hoặc .pdf")
    p.set_defaults(handler=session_command(_monthly))
    p = cmds.add_parser("annual", parents=[common], help="báo cáo năm: nhu cầu và dự toán kinh phí năm sau")
    p.add_argument("--year", required=True, type=int)
    p.add_argument("-o", "--output", help="ghi ra tệp .xlsx hoặc .pdf")
    p.set_defaults(handler=session_command(_annual))
    p = cmds.add_parser("settings", parents=[common], help="đơn giá và nguồn kinh phí mặc định theo nhóm")
    p.add_argument("--year", required=True, type=int)
    p.set_defaults(handler=session_command(_settings))
    p = cmds.add_parser(
        "price", parents=[common], help="trưởng trạm đặt đơn giá / nguồn kinh phí của một nhóm"
    )
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--group", required=True, help="a, b, c, d hoặc đ")
    p.add_argument("--unit-price", type=int, help="đơn giá một lượt khám (đồng)")
    p.add_argument("--funding", help="central_budget, local_budget, insurance, employer, socialised, other")
    p.set_defaults(handler=session_command(_price))
    p = cmds.add_parser(
        "submit", parents=[common], help="trưởng trạm nộp báo cáo (chốt số liệu, gửi lên thành phố)"
    )
    p.add_argument("--month", help="NNNN-TT")
    p.add_argument("--year", type=int)
    p.add_argument("--reason", help="lý do (bắt buộc khi nộp bản điều chỉnh)")
    p.set_defaults(handler=session_command(_submit))
    p = cmds.add_parser("submissions", parents=[common], help="các báo cáo đã nộp và phiên bản")
    p.set_defaults(handler=session_command(_submissions))
