"""The 12-digit personal ID (số định danh cá nhân): ``PPP G YY NNNNNN``.

PPP is where the birth was registered (TT 07/2016/TT-BCA, Phụ lục 1), G the century/sex digit, YY the
last two digits of the birth year, NNNNNN a serial. A disagreement is never an error: the card is the
citizen's and our table or the card may be wrong, so each check yields a Vietnamese warning to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ksk_desktop.text import nfkc

# The 63 pre-2025 province codes. After the 2025 mergers existing numbers keep their prefix, so every code
# here (030 ex-Hải Dương as much as 031 Hải Phòng) is a valid prefix for a resident of new Hải Phòng.
PROVINCES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

_ID_RE = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class PersonalId:
    """The parts of a 12-digit personal ID."""

    province_code: str
    century_sex_digit: int
    year_digits: str
    serial: str

    @property
    def province(self) -> str | None:
        """Province name of the birth registration, or None when the code is not in the table."""
        return PROVINCES.get(self.province_code)

    @property
    def century_start(self) -> int:
        """First year of the century that G encodes: 0/1 → 1900, 2/3 → 2000, … 8/9 → 2200."""
        return 1900 + 100 * (self.century_sex_digit // 2)

    @property
    def sex(self) -> str:
        """``"M"`` for an even G, ``"F"`` for an odd one."""
        return "M" if self.century_sex_digit % 2 == 0 else "F"


def is_personal_id(text: str) -> bool:
    """True for exactly 12 ASCII digits (``str.isdigit`` would also accept other scripts' digits)."""
    return _ID_RE.fullmatch(text) is not None


def normalise_personal_id(text: str) -> str:
    """A typed or scanned personal ID in the one form it is stored and compared in: NFKC (full-width digits
    become ASCII: ``０３１…`` is ``031…``, so it cannot make a second person), surrounding blanks removed.
    Check the result with :func:`is_personal_id`."""
    return nfkc(text).strip()


def split_id(text: str) -> PersonalId:
    """Split a 12-digit ID into its parts; raises ValueError for anything else."""
    if not is_personal_id(text):
        raise ValueError("not a 12-digit personal ID")
    return PersonalId(text[:3], int(text[3]), text[4:6], text[6:])


def century_sex_digit(dob: date, sex: str) -> int:
    """The G digit that a person born on *dob* with *sex* (``"M"``/``"F"``) should have."""
    return 2 * ((dob.year - 1900) // 100) + (0 if sex == "M" else 1)


def consistency_warnings(personal_id: str, dob: date, sex: str) -> list[str]:
    """Vietnamese warnings where the ID's structure disagrees with the table, the birth date or the sex."""
    pid = split_id(personal_id)
    warnings: list[str] = []
    if pid.province is None:
        warnings.append(
            f"Mã tỉnh {pid.province_code} (3 số đầu của số định danh) không có trong danh mục 63 tỉnh. "
            "Hãy đối chiếu với thẻ."
        )
    if not 1900 <= dob.year < 2400:
        # G only covers 1900–2399; the date itself is checked elsewhere.
        return warnings
    if pid.century_start != 1900 + 100 * ((dob.year - 1900) // 100):
        warnings.append(
            f"Chữ số thứ 4 của số định danh ({pid.century_sex_digit}) ứng với người sinh từ năm "
            f"{pid.century_start} đến {pid.century_start + 99}, khác năm sinh {dob.year}. Hãy đối chiếu với thẻ."
        )
    if pid.sex != sex:
        warnings.append(
            f"Chữ số thứ 4 của số định danh ({pid.century_sex_digit}) ứng với giới tính "
            f"{'Nam' if pid.sex == 'M' else 'Nữ'}, khác giới tính trên mã QR "
            f"({'Nam' if sex == 'M' else 'Nữ'}). Hãy đối chiếu với thẻ."
        )
    if pid.year_digits != f"{dob.year % 100:02d}":
        warnings.append(
            f"Chữ số thứ 5–6 của số định danh ({pid.year_digits}) khác hai số cuối của năm sinh "
            f"({dob.year % 100:02d}). Hãy đối chiếu với thẻ."
        )
    return warnings
