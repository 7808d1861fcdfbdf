"""Parse the text of the QR code on a CCCD / căn cước card into a :class:`CccdCard`.

Layout (vietnam.md §1.1): ``ID12|oldID9|name|DDMMYYYY|Nam/Nữ|address|DDMMYYYY`` plus 4 trailing fields on
cards issued from 1/7/2024, an empty old ID, or (rarely) no old-ID slot at all. Anything that is not a
CCCD payload raises :class:`InvalidCccdPayload` with a specific Vietnamese reason; anything doubtful on a
real payload becomes a warning that a person confirms. The raw payload never appears in a message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ksk_desktop.cccd import repair
from ksk_desktop.cccd.personal_id import consistency_warnings, is_personal_id, normalise_personal_id
from ksk_desktop.dates import show_date
from ksk_desktop.errors import InvalidInput
from ksk_desktop.text import fold, nfc

MAX_PAYLOAD_CHARS = 2_000  # a real payload is ~150–400 characters; this leaves room for parents' names
_HARD_LIMIT = 1_000_000  # beyond this we do not even strip: refuse in O(1)
_STRIP = " \t\r\n\x00\x0b\x0c\ufeff\u200b"


class InvalidCccdPayload(InvalidInput):
    """The text is not a usable CCCD QR payload. ``code`` names the reason for programs and tests."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CccdCard:
    """The fields of one card, normalised (NFC) but otherwise as printed in the QR code."""

    id: str
    old_id: str | None
    name: str
    dob: date
    sex: str  # "M" or "F"
    address: str
    issued: date | None
    extra: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The object written by ``ksk cccd parse --jsonl``."""
        return {
            "ok": True,
            "id": self.id,
            "old_id": self.old_id,
            "name": self.name,
            "dob": self.dob.isoformat(),
            "sex": self.sex,
            "address": self.address,
            "issued": self.issued.isoformat() if self.issued else None,
            "extra": list(self.extra),
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return f"CccdCard(id='{self.id[:3]}…', warnings={len(self.warnings)})"


def _fail(code: str, message: str) -> InvalidCccdPayload:
    return InvalidCccdPayload(message, code)


# --- Dates ---------------------------------------------------------------------------------------------

_DATE_SHAPES = (
    re.compile(r"(?P<d>[0-9]{2})(?P<m>[0-9]{2})(?P<y>[0-9]{4})"),
    re.compile(r"(?P<d>[0-9]{1,2})[/.\-](?P<m>[0-9]{1,2})[/.\-](?P<y>[0-9]{4})"),
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"),
    re.compile(r"(?P<y>[0-9]{4})"),  # only the birth year is known (some elderly people's cards)
)


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(day, month, year) when *text* has the shape of a date, whether or not that day exists."""
    for shape in _DATE_SHAPES:
        m = shape.fullmatch(text)
        if m:
            parts = m.groupdict()
            return int(parts.get("d") or 0), int(parts.get("m") or 0), int(parts["y"])
    return None


def _parse_date(text: str, what: str, *, partial_ok: bool, warnings: list[str]) -> date:
    parts = _date_parts(text)
    if parts is None:
        raise _fail(
            "bad_date", f"{what} không đúng định dạng ngày (cần ngày-tháng-năm 8 chữ số, ví dụ 15041985)."
        )
    d, m, y = parts
    if partial_ok and d == 0 and 1900 <= y <= 9999 and 0 <= m <= 12:
        # Cards of people whose exact birthday is unknown carry only the year (or month and year).
        stand_in = date(y, m or 1, 1)
        warnings.append(
            f"Mã QR chỉ có {'tháng và năm' if m else 'năm'} sinh; ngày sinh tạm ghi là "
            f"{show_date(stand_in)}. Hãy xác nhận với người dân."
        )
        return stand_in
    try:
        value = date(y, m, d)
    except ValueError:
        raise _fail(
            "impossible_date", f"{what} không có thật (ngày {d:02d}, tháng {m:02d}, năm {y})."
        ) from None
    if y < 1900:
        raise _fail("impossible_date", f"{what} năm {y} không thể có trên thẻ căn cước.")
    return value


# --- Sex -----------------------------------------------------------------------------------------------

_SEX = {"nam": "M", "nu": "F"}


def _parse_sex(text: str) -> str:
    sex = _SEX.get(fold(repair.collapse_ime_artefacts(text)))
    if sex is None:
        raise _fail("bad_sex", "Giới tính trên mã QR không phải «Nam» hoặc «Nữ».")
    return sex


# --- Pre-processing: from scanner bytes-as-text to one clean line ---------------------------------------

_AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z]")  # symbology identifier some scanners prepend: "]Q1"
_ALT_SEPARATORS = ("\uff5c", "\u00a6", "~", "\\")  # "|" after a full-width IME or a wrong keyboard layout


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Vietnamese groups digits with dots


def _clean(raw: object) -> str:
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("encoding", "Dữ liệu quét không phải văn bản UTF-8; hãy quét lại.") from None
    if not isinstance(raw, str):
        raise _fail("empty", "Không có dữ liệu mã QR.")
    if len(raw) > _HARD_LIMIT:
        raise _fail(
            "too_long", "Dữ liệu quá dài, không phải mã QR căn cước (có thể đã dán nhầm cả một văn bản)."
        )
    text = raw.replace("\x00", "").strip(_STRIP)
    if len(text) > MAX_PAYLOAD_CHARS:
        raise _fail(
            "too_long",
            f"Dữ liệu quá dài ({_thousands(len(text))} ký tự; mã QR căn cước chỉ vài trăm ký tự). "
            "Có thể đã dán nhầm cả một văn bản.",
        )
    if repair.has_surrogates(text):
        raise _fail("encoding", "Dữ liệu có ký tự không hợp lệ (lỗi bảng mã); hãy quét lại.")
    text, _ = repair.repair_mojibake(text)
    text = unicodedata.normalize("NFC", text)
    if repair.is_lossy(text):
        raise _fail(
            "encoding",
            "Chữ tiếng Việt trong mã QR bị lỗi bảng mã và không khôi phục được "
            "(máy quét/webcam đọc sai); hãy quét lại, nếu được thì bằng máy quét khác.",
        )
    text = repair.remove_stray(text).strip(_STRIP)
    return _AIM_PREFIX.sub("", text, count=1) if _AIM_PREFIX.match(text) else text


def _one_line(text: str) -> str:
    """A scan followed by its own echo or a repeat is one scan; two different lines are two scans."""
    lines = [ln.strip() for ln in re.split(r"[\r\n]+", text) if ln.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    longest = max(lines, key=len)
    if all(ln in longest for ln in lines):
        return longest
    raise _fail(
        "multiple", "Dữ liệu có nhiều dòng khác nhau (có thể hai lần quét bị dính vào nhau); hãy quét lại."
    )


# --- Recognising what was scanned when it is not a CCCD ---------------------------------------------

_URL = re.compile(r"(?i)^(?:[a-z][a-z0-9+.\-]{1,15}://|www\.)|^[^\s|]{1,30}://")
_OTHER_QR = (
    (re.compile(r"^000201"), "Đây là mã QR chuyển khoản ngân hàng (VietQR), không phải mã QR căn cước."),
    (re.compile(r"(?i)^WIFI:"), "Đây là mã QR mạng Wi-Fi, không phải mã QR căn cước."),
    (re.compile(r"(?i)^(?:BEGIN:VCARD|MECARD:)"), "Đây là mã QR danh thiếp, không phải mã QR căn cước."),
    (
        re.compile(r"(?i)^(?:mailto|tel|sms|smsto|geo):"),
        "Đây là mã QR liên hệ/địa điểm, không phải mã QR căn cước.",
    ),
)
_BHYT_CARD = re.compile(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}")  # XX Y ZZ NNNNNNNNNN (vietnam.md §1.8)
_BHXH = re.compile(r"[0-9]{10}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){2,}")
_BHYT_MSG = (
    "Đây là mã QR thẻ bảo hiểm y tế (BHYT), không phải thẻ căn cước. Hãy quét mã QR trên thẻ căn cước (CCCD)."
)


def _looks_bhyt(fields: list[str]) -> bool:
    first = fields[0].replace(" ", "").upper()
    if _BHYT_CARD.fullmatch(first):
        return True
    # The BHYT QR starts with the 10-digit BHXH number, hex-encodes the name and ends with "$".
    if fields[-1] == "$" and len(fields) > 3:
        return True
    return bool(
        _BHXH.fullmatch(first)
        and len(fields) > 1
        and _HEX.fullmatch(fields[1])
        and re.search("[a-fA-F]", fields[1])
    )


def _reject_other_qr(text: str) -> None:
    """URLs, bank transfers, Wi-Fi and contact cards: recognised by their start, before any line logic."""
    if _URL.match(text):
        raise _fail(
            "url", "Đây là một đường dẫn (URL), không phải mã QR căn cước. Hãy quét mã QR trên thẻ căn cước."
        )
    for pattern, message in _OTHER_QR:
        if pattern.match(text):
            raise _fail("other_qr", message)


def _is_echo(fields: list[str]) -> bool:
    """A short tail such as ``15082024||||`` or ``Hải Phòng|15082024||||`` with no personal ID in front."""
    if is_personal_id(fields[0]):
        return False
    nonempty = sum(1 for f in fields if f)
    return nonempty <= 3 and (_date_parts(fields[0]) is not None or _ends_like_tail(fields))


def _fragment_error(fields: list[str]) -> InvalidCccdPayload:
    """The error for a payload with too few fields: say which kind of fragment it is."""
    n = len(fields)
    first = fields[0]
    if n == 1:
        if is_personal_id(first):
            return _fail(
                "id_only",
                "Chỉ đọc được số định danh (có thể đã quét mã vạch thay vì mã QR). "
                "Hãy quét mã QR trên thẻ căn cước.",
            )
        if re.fullmatch(r"[0-9]{9}", first):
            return _fail("id_only", "Chỉ có một số 9 chữ số (số CMND cũ?), không phải mã QR căn cước.")
        if _BHXH.fullmatch(first):
            return _fail(
                "bhyt",
                "Chỉ có một số 10 chữ số (mã số BHXH/BHYT?), không phải mã QR căn cước. "
                "Hãy quét mã QR trên thẻ căn cước.",
            )
    if _is_echo(fields):
        return _fail(
            "echo",
            "Đây chỉ là phần đuôi của một lần quét trước (máy quét gửi lặp lại), "
            "không phải một mã đầy đủ. Hãy bỏ qua hoặc quét lại.",
        )
    if is_personal_id(first):
        return _fail(
            "truncated",
            f"Mã QR bị cắt giữa chừng (chỉ có {n} trường); hãy quét lại và giữ thẻ "
            "yên cho đến khi máy báo xong.",
        )
    return _fail(
        "too_few_fields",
        f"Chỉ có {n} trường; mã QR căn cước có ít nhất 7 trường "
        "(số định danh|CMND cũ|họ tên|ngày sinh|giới tính|nơi thường trú|ngày cấp).",
    )


def _ends_like_tail(fields: list[str]) -> bool:
    """Fields ending in a date followed only by empty fields, as in ``…|15082024||||``."""
    nonempty = [i for i, f in enumerate(fields) if f]
    return bool(nonempty) and _date_parts(fields[nonempty[-1]]) is not None and nonempty[-1] < len(fields) - 1


def _split(text: str, warnings: list[str]) -> list[str]:
    if "|" not in text:
        for sep in _ALT_SEPARATORS:
            if text.count(sep) >= 5:
                warnings.append(
                    f"Mã QR dùng ký tự «{sep}» thay cho «|»: máy quét có thể đang đặt sai bố cục "
                    "bàn phím. Hãy kiểm tra kỹ các trường."
                )
                text = text.replace(sep, "|")
                break
    return [f.strip() for f in text.split("|")]


# --- Field checks --------------------------------------------------------------------------------------


def _check_id(value: str) -> str:
    value = normalise_personal_id(
        value
    )  # a full-width ０３１… (a wedge scanner behind a full-width IME) is 031…
    if is_personal_id(value):
        return value
    digits = sum(c in "0123456789" for c in value)
    if digits == len(value) and value:
        hint = " (đây là độ dài của số CMND cũ)" if len(value) == 9 else ""
        raise _fail("bad_id", f"Số định danh phải có đúng 12 chữ số, ở đây có {len(value)} chữ số{hint}.")
    raise _fail(
        "bad_id",
        "Trường đầu tiên phải là số định danh 12 chữ số; ở đây có cả ký tự khác chữ số. "
        "Đây không phải mã QR căn cước.",
    )


def _is_sexlike(text: str) -> bool:
    return fold(repair.collapse_ime_artefacts(text)) in _SEX


def _layout(fields: list[str]) -> int:
    """Index of the name field: 2 for the standard layout, 1 for the 6-field layout without old ID."""
    if len(fields) > 3 and _date_parts(fields[3]) is not None:
        return 2
    if _date_parts(fields[2]) is not None and _is_sexlike(fields[3]):
        return 1
    raise _fail(
        "layout", "Không tìm thấy ngày sinh ở vị trí thứ 4 (hoặc thứ 3); cấu trúc không giống mã QR căn cước."
    )


def _doubled(tail: list[str]) -> bool:
    """Another whole payload glued after this one (two scans without a line break)."""
    for i, f in enumerate(tail):
        if (
            is_personal_id(f)
            and i + 4 < len(tail)
            and _date_parts(tail[i + 3]) is not None
            and _is_sexlike(tail[i + 4])
        ):
            return True
    return False


def _name_warnings(name: str, what: str) -> list[str]:
    out: list[str] = []
    artefacts = repair.ime_artefacts(name, telex=what == "Họ tên")
    if artefacts:
        shown = ", ".join(f"«{a}»" for a in artefacts[:3])
        out.append(
            f"{what} có dấu hiệu lỗi bộ gõ tiếng Việt ({shown}): có thể Unikey/EVKey đang bật khi "
            "quét. Hãy đối chiếu với thẻ hoặc tắt bộ gõ rồi quét lại."
        )
    if "?" in name:
        out.append(f"{what} có dấu «?»: máy quét không đọc được một số chữ có dấu. Hãy quét lại.")
    if what == "Họ tên":
        if any(c.isdigit() for c in name):
            out.append("Họ tên có chữ số (có thể là dấu vết bộ gõ VNI). Hãy đối chiếu với thẻ.")
        odd = sorted({c for c in name if not (c in repair.VIETNAMESE_LETTERS or c in " -'.?" or c.isdigit())})
        if odd:
            out.append(f"Họ tên có ký tự lạ ({' '.join(odd[:5])}). Hãy đối chiếu với thẻ.")
        if repair.caps_lock_inverted(name):
            out.append(
                "Chữ hoa/thường trong họ tên bị đảo (có thể Caps Lock đang bật khi quét). "
                "Hãy đối chiếu với thẻ."
            )
    return out


def _issue_date(fields: list[str], idx: int, dob: date, today: date, warnings: list[str]) -> date | None:
    value = fields[idx]
    last = idx == len(fields) - 1
    if re.fullmatch(r"[0-9]{8}[0-9]{12}.*", value):
        raise _fail(
            "multiple", "Hai lần quét bị dính vào nhau (sau ngày cấp là một số định danh khác); hãy quét lại."
        )
    if not value:
        if last:
            raise _fail("truncated", "Mã QR bị cắt: thiếu ngày cấp ở cuối. Hãy quét lại.")
        warnings.append("Mã QR không có ngày cấp. Hãy xem ngày cấp trên thẻ nếu cần.")
        return None
    if last and re.fullmatch(r"[0-9]{1,7}", value):
        raise _fail("truncated", "Mã QR bị cắt giữa ngày cấp; hãy quét lại.")
    issued = _parse_date(value, "Ngày cấp", partial_ok=False, warnings=warnings)
    if issued < dob:
        raise _fail("impossible_date", "Ngày cấp thẻ trước ngày sinh: không thể có. Hãy quét lại.")
    if issued > today:
        warnings.append("Ngày cấp thẻ ở sau hôm nay: hãy kiểm tra đồng hồ của máy tính và ngày cấp trên thẻ.")
    elif issued.year < 2016:
        warnings.append(
            f"Ngày cấp năm {issued.year}, trước khi có thẻ căn cước công dân (2016). Hãy đối chiếu với thẻ."
        )
    return issued


# --- The parser ---------------------------------------------------------------------------------------


def parse_cccd(raw: str, *, today: date) -> CccdCard:
    """Parse one scanned QR text. Raises :class:`InvalidCccdPayload` (Vietnamese message) and nothing else.

    *today* (the session clock's: the date in Vietnam) bounds the birth and issue dates.
    """
    warnings: list[str] = []
    text = _clean(raw)
    _reject_other_qr(text)
    text = _one_line(text)
    if not text:
        raise _fail("empty", "Không có dữ liệu: mã QR trống.")
    if not text.strip("|" + _STRIP + "".join(_ALT_SEPARATORS)):
        raise _fail("only_separators", "Dữ liệu chỉ có dấu phân cách «|», không có nội dung; hãy quét lại.")
    fields = _split(text, warnings)
    if _looks_bhyt(fields):
        raise _fail("bhyt", _BHYT_MSG)
    if len(fields) < 6 or _is_echo(fields):
        raise _fragment_error(fields)
    pid = _check_id(fields[0])
    name_at = _layout(fields)
    dob_at, issued_at = name_at + 1, name_at + 4
    if issued_at >= len(fields):
        raise _fail("truncated", "Mã QR bị cắt: thiếu ngày cấp (có thể cả một phần địa chỉ). Hãy quét lại.")
    tail = fields[issued_at + 1 :]
    if _doubled(tail):
        raise _fail("multiple", "Hai mã QR bị dính vào nhau trong một lần quét; hãy quét lại.")

    dob = _parse_date(fields[dob_at], "Ngày sinh", partial_ok=True, warnings=warnings)
    if dob > today:
        raise _fail("impossible_date", "Ngày sinh ở sau hôm nay: không thể có. Hãy quét lại.")
    sex = _parse_sex(fields[dob_at + 1])
    name = nfc(fields[name_at])
    if not name:
        raise _fail("no_name", "Mã QR không có họ tên; hãy quét lại.")
    issued = _issue_date(fields, issued_at, dob, today, warnings)

    old_id: str | None = None
    if name_at == 2:
        old_id = nfc(fields[1]) or None
        if old_id is not None and not re.fullmatch(r"[0-9]{9}|[0-9]{12}", old_id):
            warnings.append("Số CMND cũ trên mã QR không phải 9 hoặc 12 chữ số. Hãy đối chiếu với thẻ.")
    address = nfc(fields[dob_at + 2])
    if not address:
        warnings.append("Mã QR không có nơi thường trú/nơi cư trú.")

    warnings.extend(_name_warnings(name, "Họ tên"))
    warnings.extend(_name_warnings(address, "Địa chỉ"))
    warnings.extend(consistency_warnings(pid, dob, sex))
    # A late echo of the tail ("…|15082024||||") glued on repeats the issue date; it carries nothing new.
    extra = [nfc(f) for f in tail if nfc(f) and f != fields[issued_at]]
    return CccdCard(
        id=pid,
        old_id=old_id,
        name=name,
        dob=dob,
        sex=sex,
        address=address,
        issued=issued,
        extra=extra,
        warnings=warnings,
    )
