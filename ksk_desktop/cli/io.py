"""Command-line plumbing: secrets from env/stdin/prompt, JSON or human output, the logged-in session."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator

from ksk_desktop.errors import AuthenticationFailed, InvalidInput
from ksk_desktop.shapes import jsonable
from ksk_desktop.station.paths import StationPaths, default_data_dir
from ksk_desktop.station.session import StationSession

_stdin_lines: Iterator[str] | None = None


def _next_stdin_line(what: str) -> str:
    global _stdin_lines
    if _stdin_lines is None:
        _stdin_lines = iter(sys.stdin)
    try:
        return next(_stdin_lines).rstrip("\r\n")
    except StopIteration:
        raise InvalidInput(f"Thiếu {what} trên đầu vào chuẩn (stdin).") from None


def read_secret(
    args: argparse.Namespace, *, env: str, stdin_flag: str, prompt: str, what: str, confirm: bool = False
) -> str:
    """A secret from ``--…-stdin`` (one line), else the environment variable, else an interactive prompt."""
    if getattr(args, stdin_flag, False):
        return _next_stdin_line(what)
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"Thiếu {what}: đặt biến môi trường {env} hoặc dùng --{stdin_flag.replace('_', '-')}."
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Nhập lại: ") != first:
        raise InvalidInput("Hai lần nhập không khớp.")
    return first


def user_password(args: argparse.Namespace) -> str:
    """The logged-in user's password, read once (stdin is consumed only the first time)."""
    cached = getattr(args, "_password", None)
    if cached is None:
        cached = read_secret(
            args, env="KSK_PASSWORD", stdin_flag="password_stdin", prompt="Mật khẩu: ", what="mật khẩu"
        )
        args._password = cached
    return cached


def new_password(args: argparse.Namespace) -> str:
    return read_secret(
        args,
        env="KSK_NEW_PASSWORD",
        stdin_flag="new_password_stdin",
        prompt="Mật khẩu mới: ",
        what="mật khẩu mới",
        confirm=True,
    )


def paths_of(args: argparse.Namespace) -> StationPaths:
    root = getattr(args, "data_dir", None)
    return StationPaths(root if root else default_data_dir())


def login(args: argparse.Namespace, *, record: bool = True) -> StationSession:
    from ksk_desktop.station.lifecycle import login as station_login

    if not getattr(args, "user", None):
        raise AuthenticationFailed(
            "Lệnh này cần đăng nhập: thêm --user TÊN (mật khẩu qua KSK_PASSWORD hoặc --password-stdin)."
        )
    return station_login(paths_of(args), args.user, user_password(args), record=record)


def emit(args: argparse.Namespace, data: object, human: str | None = None) -> None:
    """Print *data* as JSON with ``--json``, else the human-readable text. Typed values (``ksk_desktop.shapes``)
    in *data* are printed as their ``to_json()``."""
    if getattr(args, "json", False) or human is None:
        print(
            json.dumps(
                jsonable(data),
                ensure_ascii=False,
                indent=None if getattr(args, "json", False) else 2,
                default=str,
            )
        )
    else:
        print(human)


def session_command(fn, *, record: bool = True):  # noqa: ANN001, ANN201 - argparse handler factory
    """A handler running ``fn(ctx, args)`` with a logged-in session that is always closed (locked) afterwards."""

    def handler(args: argparse.Namespace) -> int:
        ctx = login(args, record=record)
        try:
            return fn(ctx, args)
        finally:
            ctx.close()

    return handler
