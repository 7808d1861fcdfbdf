"""Password rules for station users."""

from __future__ import annotations

import re

from ksk_desktop.errors import InvalidInput

MIN_LENGTH = 8
_COMMON = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "matkhau1",
        "matkhau123",
        "11111111",
        "00000000",
        "abc12345",
        "qwertyui",
        "87654321",
        "admin123",
        "password1",
        "iloveyou",
        "88888888",
        "66666666",
    }
)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}\Z")  # \Z: $ takes a final \n


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidInput(
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang (2–40 ký tự)."
        )
    return name


def check_password(password: str, username: str = "") -> None:
    """Raise InvalidInput with the reason if *password* is too weak."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự.")
    if password.lower() in _COMMON or len(set(password)) < 4:
        raise InvalidInput("Mật khẩu quá dễ đoán; hãy chọn mật khẩu khác.")
    if username and username.lower() in password.lower():
        raise InvalidInput("Mật khẩu không được chứa tên đăng nhập.")
