"""``ksk moh-ref serve|account|cert``: run and set up the reference Ministry endpoint (tests, sandbox)."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path


def _store(args: argparse.Namespace):  # noqa: ANN202
    from sync.moh_ref.store import RefStore

    return RefStore(Path(args.data))


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sync.moh_ref.app import create_app

    store = _store(args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(store, token_seconds=args.token_seconds), log_level="warning", access_log=False
        )
    )
    print(json.dumps({"listening": f"http://{args.host}:{port}", "port": port}), flush=True)
    server.run(sockets=[sock])
    sys.stdout.flush()
    return 0


def _account(args: argparse.Namespace) -> int:
    from ksk_desktop.cli.io import emit, read_secret

    password = read_secret(
        args,
        env="KSK_MOH_PASSWORD",
        stdin_flag="password_stdin",
        prompt="Mật khẩu: ",
        what="mật khẩu tài khoản",
    )
    _store(args).add_account(args.username, password, args.role)
    emit(args, {"username": args.username, "role": args.role}, f"Đã tạo tài khoản {args.username}.")
    return 0


def _cert(args: argparse.Namespace) -> int:
    from ksk_desktop.cli.io import emit

    _store(args).register_cert(args.sender_id, Path(args.pem).read_text(encoding="ascii"))
    emit(args, {"sender_id": args.sender_id}, f"Đã đăng ký chứng thư số cho {args.sender_id}.")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ref = sub.add_parser(
        "moh-ref", parents=[common], help="máy chủ tham chiếu của Bộ Y tế (QĐ 1551) để thử nghiệm"
    ).add_subparsers(dest="moh_ref_cmd", metavar="LỆNH")
    ref.required = True
    p = ref.add_parser("serve", parents=[common], help="chạy máy chủ tham chiếu")
    p.add_argument("--data", required=True, help="thư mục dữ liệu")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--token-seconds", type=int, default=3600, help="thời hạn token (giây)")
    p.set_defaults(handler=_serve)
    p = ref.add_parser(
        "account", parents=[common], help="tạo tài khoản liên thông (mật khẩu: KSK_MOH_PASSWORD)"
    )
    p.add_argument("--data", required=True)
    p.add_argument("username")
    p.add_argument("--role", default="facility", choices=["facility", "department"])
    p.set_defaults(handler=_account)
    p = ref.add_parser("cert", parents=[common], help="đăng ký chứng thư số của cơ sở (mã 13 số)")
    p.add_argument("--data", required=True)
    p.add_argument("sender_id")
    p.add_argument("pem")
    p.set_defaults(handler=_cert)
