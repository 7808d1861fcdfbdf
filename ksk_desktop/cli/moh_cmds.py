"""``ksk report moh-export``: the period's signed exams in the user's copy of the Ministry's KSK template
(``Import_KSK_Tren 18.xlsm``), for upload on the portal.

:func:`add_moh_export` adds the command to a ``report`` command group; :func:`register` creates a minimal group
when none exists yet (the group of the monthly and annual reports lives in ``report_cmds``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.cli.schedule_cmds import parse_date
from ksk_desktop.station.session import StationSession


def _moh_export(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.reports.moh_export import export

    summary = export(
        ctx,
        Path(args.template),
        parse_date(args.date_from),
        parse_date(args.date_to),
        Path(args.output),
        facility_code=args.facility_code,
        report=Path(args.report) if args.report else None,
    )
    emit(args, summary, summary["message"])
    return 0


def add_moh_export(report_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``moh-export`` to the ``report`` group's sub-commands."""
    p = report_sub.add_parser(
        "moh-export",
        parents=[common],
        help="phiếu khám đã ký trong kỳ vào bản sao tệp mẫu Bộ Y tế (Import_KSK_Tren 18.xlsm) để nộp cổng",
    )
    p.add_argument(
        "--template", required=True, help="bản sao tệp mẫu .xlsm của Bộ Y tế (giữ nguyên, không bị sửa)"
    )
    p.add_argument("--from", dest="date_from", required=True, help="ngày đầu, dd/mm/yyyy")
    p.add_argument("--to", dest="date_to", required=True, help="ngày cuối, dd/mm/yyyy")
    p.add_argument("-o", "--output", required=True, help="tệp .xlsm cần tạo (lần khám thứ hai: TỆP-2.xlsm …)")
    p.add_argument(
        "--facility-code",
        help="mã cơ sở KCB (MA_CSKCB, 5 ký tự); mặc định: mã đã đặt cho trạm (ksk station moh-settings)",
    )
    p.add_argument("--report", help="tệp .xlsx liệt kê phiếu không gửi được (mặc định: TỆP-bao-cao.xlsx)")
    p.set_defaults(handler=session_command(_moh_export))


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``moh-export`` in the ``report`` group (``report_cmds.report_group``)."""
    from ksk_desktop.cli.report_cmds import report_group

    add_moh_export(report_group(sub, common), common)
