"""``ksk register --payload STRING``: identify or register the holder of a scanned CCCD."""

from __future__ import annotations

import argparse
import sys

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.people.registration import register
from ksk_desktop.station.session import StationSession

STATUS_TEXT = {
    "existing": "Đã có trong danh sách",
    "created": "Đã đăng ký người mới",
    "needs_confirmation": "Cần xác nhận",
}


def _register(ctx: StationSession, args: argparse.Namespace) -> int:
    payload = sys.stdin.readline().rstrip("\r\n") if args.payload == "-" else args.payload
    result = register(ctx, payload, accept=args.accept, accept_fields=args.take or None)
    lines = [f"{STATUS_TEXT[result.status]}: {result.card.get('name')} ({result.person_id or 'chưa lưu'})"]
    lines += [
        f"  {d['label']}: thẻ «{d['card']}» ≠ hồ sơ «{d['stored']}»" for d in result.differences.values()
    ]
    lines += [f"  Cảnh báo: {w}" for w in result.warnings]
    emit(args, result.to_json(), "\n".join(lines))
    return 0


def register_cli(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("register", parents=[common], help="nhận diện hoặc đăng ký người từ mã QR căn cước")
    p.add_argument("--payload", required=True, help="nội dung mã QR (hoặc - để đọc một dòng từ stdin)")
    p.add_argument("--accept", action="store_true", help="lấy mọi giá trị trên thẻ và xác nhận các cảnh báo")
    p.add_argument(
        "--take",
        action="append",
        choices=["name", "dob", "sex", "old_id", "address", "id"],
        help="chỉ lấy trường này từ thẻ (lặp lại được)",
    )
    p.set_defaults(handler=session_command(_register))
