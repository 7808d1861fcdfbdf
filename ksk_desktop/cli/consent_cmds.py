"""``ksk consent add|withdraw|list``: a person's consent to the exam and to sharing results."""

from __future__ import annotations

import argparse

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.people import consent
from ksk_desktop.station.session import StationSession


def _add(ctx: StationSession, args: argparse.Namespace) -> int:
    row = consent.record(ctx, args.person, args.kind, "guardian" if args.guardian else "self", args.note)
    emit(args, row.to_json(), f"Đã ghi nhận: {consent.KINDS[row.kind]}.")
    return 0


def _withdraw(ctx: StationSession, args: argparse.Namespace) -> int:
    row = consent.withdraw(ctx, args.id)
    emit(args, row.to_json(), f"Đã rút lại: {consent.KINDS[row.kind]}.")
    return 0


def _list(ctx: StationSession, args: argparse.Namespace) -> int:
    rows = consent.of_person(ctx, args.person)
    emit(
        args,
        [r.to_json() for r in rows],
        "\n".join(
            f"{consent.KINDS[r.kind]}: {'còn hiệu lực' if r.active else 'đã rút'} ({r.recorded_by})"
            for r in rows
        )
        or "Chưa có ghi nhận đồng ý.",
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    grp = sub.add_parser("consent", parents=[common], help="đồng ý của người dân").add_subparsers(
        dest="consent_cmd", metavar="LỆNH"
    )
    grp.required = True
    p = grp.add_parser("add", parents=[common], help="ghi nhận đồng ý")
    p.add_argument("person")
    p.add_argument("--kind", required=True, choices=sorted(consent.KINDS))
    p.add_argument("--guardian", action="store_true", help="người giám hộ đồng ý thay")
    p.add_argument("--note")
    p.set_defaults(handler=session_command(_add))
    p = grp.add_parser("withdraw", parents=[common], help="rút lại một đồng ý")
    p.add_argument("id")
    p.set_defaults(handler=session_command(_withdraw))
    p = grp.add_parser("list", parents=[common], help="các ghi nhận đồng ý của một người")
    p.add_argument("person")
    p.set_defaults(handler=session_command(_list))
