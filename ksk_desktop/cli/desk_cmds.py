"""``ksk day take-desk DAY_ID`` and ``ksk day desk DAY_ID``: which device of the station runs an exam day's desk
(it gives the day's queue numbers, docs/multi-device.md §3), and the head taking it over on this device."""

from __future__ import annotations

import argparse

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.station.session import StationSession


def _take_desk(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import desk_owner

    got = desk_owner.take_desk(ctx, args.day_id)
    emit(args, got, f"Máy này ({got['desk_device_id']}) điều hành quầy của ngày khám {got['day_id']}.")
    return 0


def _desk(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.scheduling import desk_owner

    got = desk_owner.desk_of(ctx, args.day_id)
    owner = got["desk_device_id"]
    human = (
        "Chưa máy nào nhận quầy của ngày khám này."
        if owner is None
        else f"Máy {owner}{' (máy này)' if owner == got['this_device'] else ''} điều hành quầy của ngày khám này."
    )
    emit(args, got, human)
    return 0


def register_day(grp, common: argparse.ArgumentParser) -> None:  # noqa: ANN001 - argparse's subparsers action
    """Under ``ksk day``."""
    p = grp.add_parser(
        "take-desk", parents=[common], help="trưởng trạm nhận quầy tiếp đón của ngày về máy này"
    )
    p.add_argument("day_id", metavar="DAY_ID")
    p.set_defaults(handler=session_command(_take_desk))
    p = grp.add_parser("desk", parents=[common], help="máy nào điều hành quầy tiếp đón của ngày")
    p.add_argument("day_id", metavar="DAY_ID")
    p.set_defaults(handler=session_command(_desk))
