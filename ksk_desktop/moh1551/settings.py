"""The station's settings for the Ministry's health-check data set (QĐ 1551): ``MA_CSKCB`` (the 5-character
facility code), ``MA_GTIN_CSKCB`` (the 13-digit facility identifier in GS1 GLN form, with its check digit), the
province code of the address fields (``MATINH_CU_TRU``, 3 characters at most; Hải Phòng is ``31``) and the
data-link account the Ministry issues the facility (user and password).

The password is kept only in the station's encrypted database (like the hub credential): it is never printed,
written to a file or a log, put in an error message or in the audit trail (the audit records that it changed).
Only an account that may change settings (the administrator) sets or reads them; :func:`read` gives the core
(export, signing, push) what it needs inside a transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ksk_desktop.db.models import Moh1551Settings
from ksk_desktop.errors import InvalidInput
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

HAI_PHONG_PROVINCE = "31"
_GTIN = re.compile(r"[0-9]{13}")
_PROVINCE = re.compile(r"[0-9]{2,3}")
MAX_ACCOUNT = 100
MAX_PASSWORD = 200


@dataclass(frozen=True)
class MohSettings:
    ma_cskcb: str | None
    ma_gtin_cskcb: str | None
    province_code: str
    account_user: str | None
    has_password: bool

    @property
    def complete(self) -> bool:
        """Whether a data-set file can be made (the two facility codes are set)."""
        return bool(self.ma_cskcb and self.ma_gtin_cskcb)

    def to_json(self) -> dict[str, Any]:
        return {
            "ma_cskcb": self.ma_cskcb,
            "ma_gtin_cskcb": self.ma_gtin_cskcb,
            "province_code": self.province_code,
            "account_user": self.account_user,
            "account_password_set": self.has_password,
            "complete": self.complete,
        }


def gs1_check_digit(first12: str) -> int:
    """The GS1 check digit of a GLN/GTIN-13's first 12 digits (weights 1, 3, 1, 3… from the left)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def check_facility_code(code: str | None) -> str:
    from ksk_desktop.reports.moh_rows import check_facility_code as check

    return check((code or "").strip().upper())


def check_gtin(code: str | None) -> str:
    text = (code or "").strip()
    if not _GTIN.fullmatch(text):
        raise InvalidInput(
            f"Mã định danh cơ sở (MA_GTIN_CSKCB) phải gồm đúng 13 chữ số (đã nhập {len(text)} ký tự)."
        )
    expected = gs1_check_digit(text[:12])
    if int(text[12]) != expected:
        raise InvalidInput(
            f"Mã định danh cơ sở (MA_GTIN_CSKCB) sai chữ số kiểm tra theo chuẩn GLN: chữ số cuối phải là {expected}."
        )
    return text


def check_province(code: str | None) -> str:
    text = (code or "").strip()
    if not _PROVINCE.fullmatch(text):
        raise InvalidInput("Mã tỉnh (MATINH_CU_TRU) phải gồm 2 hoặc 3 chữ số, ví dụ 31 (Hải Phòng).")
    return text


def _shape(row: Moh1551Settings | None) -> MohSettings:
    if row is None:
        return MohSettings(None, None, HAI_PHONG_PROVINCE, None, False)
    return MohSettings(
        row.ma_cskcb,
        row.ma_gtin_cskcb,
        row.province_code or HAI_PHONG_PROVINCE,
        row.account_user,
        bool(row.account_password),
    )


def read(s: Session) -> MohSettings:
    """The settings, inside the caller's transaction (no permission check: for the core)."""
    return _shape(s.get(Moh1551Settings, 1))


def account_password(s: Session) -> str | None:
    """The data-link account's password, for the push only (never shown)."""
    row = s.get(Moh1551Settings, 1)
    return row.account_password if row else None


def get(ctx: StationSession) -> MohSettings:
    ctx.require(Perm.SETTINGS_MANAGE)
    with ctx.read() as s:
        return read(s)


def update(
    ctx: StationSession,
    *,
    ma_cskcb: str | None = None,
    ma_gtin_cskcb: str | None = None,
    province_code: str | None = None,
    account_user: str | None = None,
    account_password: str | None = None,
) -> MohSettings:
    """Set the given settings (None keeps a value). The account's password goes with its user name. Audited,
    without the password."""
    ctx.require(Perm.SETTINGS_MANAGE)
    new: dict[str, Any] = {}
    if ma_cskcb is not None:
        new["ma_cskcb"] = check_facility_code(ma_cskcb)
    if ma_gtin_cskcb is not None:
        new["ma_gtin_cskcb"] = check_gtin(ma_gtin_cskcb)
    if province_code is not None:
        new["province_code"] = check_province(province_code)
    if account_user is not None:
        user = account_user.strip()
        if not user or len(user) > MAX_ACCOUNT or any(c.isspace() for c in user):
            raise InvalidInput(f"Tài khoản liên thông phải có 1–{MAX_ACCOUNT} ký tự, không có khoảng trắng.")
        new["account_user"] = user
    if account_password is not None:
        if not account_password or len(account_password) > MAX_PASSWORD:
            raise InvalidInput(f"Mật khẩu tài khoản liên thông phải có 1–{MAX_PASSWORD} ký tự.")
        if account_user is None:
            raise InvalidInput("Nhập mật khẩu cùng với tên tài khoản liên thông.")
    with ctx.write() as s:
        row = s.get(Moh1551Settings, 1)
        if row is None:
            row = Moh1551Settings(id=1, updated_by=ctx.user.username, updated_at=ctx.clock.utcnow())
            s.add(row)
        old = {k: getattr(row, k) for k in new}
        for k, v in new.items():
            setattr(row, k, v)
        password_changed = account_password is not None and account_password != row.account_password
        if account_password is not None:
            row.account_password = account_password
        row.updated_by, row.updated_at = ctx.user.username, ctx.clock.utcnow()
        s.flush()
        ctx.audit(
            s,
            "moh1551.settings",
            "station",
            "moh1551",
            {"old": old, "new": new, "password_changed": password_changed},
        )
        return read(s)
