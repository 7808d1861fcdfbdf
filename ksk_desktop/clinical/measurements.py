"""The input of a classification: one person's measurements, checked and normalised.

Field names are English snake case; the MoH KSK template codes (``CHIEU_CAO``, ``KHONG_KINH_MAT_PHAI``,
``TAI_TRAI_NOI_THAM``…) are accepted as aliases. A value the code cannot read (text where a number belongs,
a negative height, a missing age or sex) raises :class:`InvalidMeasurement`. A readable but implausible value
(height 17 cm, blood pressure 300/20) becomes a warning; it is left out of every computation until the caller
confirms it by listing the field in ``confirmed``.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ksk_desktop.dates import age_on, parse_date
from ksk_desktop.errors import InvalidInput

DAYS_PER_MONTH = 30.4375  # WHO: 365.25 / 12


class InvalidMeasurement(InvalidInput):
    """A measurement set that cannot be classified (message in Vietnamese)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    unit: str
    hard_min: float  # below this (or at it, when hard_min_exclusive) the value is impossible: an error
    hard_max: float
    plausible: tuple[float, float]  # outside: a warning to confirm
    adult_plausible: tuple[float, float] | None = None  # from 15 years on, when narrower
    aliases: tuple[str, ...] = ()
    integer: bool = False
    hard_min_exclusive: bool = False
    vision: bool = False


_SPECS = (
    FieldSpec("age", "Tuổi", "năm", 0, 130, (0, 130)),
    FieldSpec("age_months", "Tuổi (tháng)", "tháng", 0, 1560, (0, 1560)),
    FieldSpec(
        "height_cm", "Chiều cao", "cm", 0, 300, (40, 230), (120, 220), ("CHIEU_CAO",), hard_min_exclusive=True
    ),
    FieldSpec(
        "weight_kg", "Cân nặng", "kg", 0, 500, (1.5, 250), (30, 200), ("CAN_NANG",), hard_min_exclusive=True
    ),
    FieldSpec(
        "chest_cm", "Vòng ngực trung bình", "cm", 0, 250, (30, 150), (60, 140), hard_min_exclusive=True
    ),
    FieldSpec(
        "chest_inspiration_cm",
        "Vòng ngực hít vào",
        "cm",
        0,
        250,
        (30, 150),
        (60, 145),
        hard_min_exclusive=True,
    ),
    FieldSpec(
        "chest_expiration_cm", "Vòng ngực thở ra", "cm", 0, 250, (30, 150), (55, 140), hard_min_exclusive=True
    ),
    FieldSpec("systolic", "Huyết áp tâm thu", "mmHg", 0, 400, (70, 250), hard_min_exclusive=True),
    FieldSpec("diastolic", "Huyết áp tâm trương", "mmHg", 0, 300, (40, 150), hard_min_exclusive=True),
    FieldSpec("pulse", "Mạch", "lần/phút", 0, 350, (40, 200), (40, 150), ("MACH",), hard_min_exclusive=True),
    FieldSpec(
        "vision_right_uncorrected",
        "Thị lực mắt phải không kính",
        "/10",
        0,
        20,
        (0, 15),
        aliases=("KHONG_KINH_MAT_PHAI",),
        vision=True,
    ),
    FieldSpec(
        "vision_left_uncorrected",
        "Thị lực mắt trái không kính",
        "/10",
        0,
        20,
        (0, 15),
        aliases=("KHONG_KINH_MAT_TRAI",),
        vision=True,
    ),
    FieldSpec(
        "vision_right_corrected",
        "Thị lực mắt phải có kính",
        "/10",
        0,
        20,
        (0, 15),
        aliases=("CO_KINH_MAT_PHAI",),
        vision=True,
    ),
    FieldSpec(
        "vision_left_corrected",
        "Thị lực mắt trái có kính",
        "/10",
        0,
        20,
        (0, 15),
        aliases=("CO_KINH_MAT_TRAI",),
        vision=True,
    ),
    FieldSpec("whisper_right_m", "Tai phải nói thầm", "m", 0, 50, (0, 10), aliases=("TAI_PHAI_NOI_THAM",)),
    FieldSpec("whisper_left_m", "Tai trái nói thầm", "m", 0, 50, (0, 10), aliases=("TAI_TRAI_NOI_THAM",)),
    FieldSpec(
        "normal_voice_right_m", "Tai phải nói thường", "m", 0, 50, (0, 20), aliases=("TAI_PHAI_NOI_THUONG",)
    ),
    FieldSpec(
        "normal_voice_left_m", "Tai trái nói thường", "m", 0, 50, (0, 20), aliases=("TAI_TRAI_NOI_THUONG",)
    ),
    FieldSpec("audiometry_right_db", "Thính lực kế tai phải (mức giảm)", "dB", -20, 150, (-10, 120)),
    FieldSpec("audiometry_left_db", "Thính lực kế tai trái (mức giảm)", "dB", -20, 150, (-10, 120)),
    FieldSpec("caries_teeth", "Số răng sâu", "răng", 0, 32, (0, 32), integer=True),
    FieldSpec("chewing_capacity_pct", "Sức nhai còn lại", "%", 0, 100, (0, 100)),
    FieldSpec(
        "glucose_fasting_mmol_l", "Đường huyết lúc đói", "mmol/L", 0, 100, (1.5, 35), hard_min_exclusive=True
    ),
    FieldSpec(
        "glucose_2h_mmol_l",
        "Đường huyết 2 giờ (sau ăn hoặc nghiệm pháp)",
        "mmol/L",
        0,
        100,
        (1.5, 35),
        hard_min_exclusive=True,
    ),
    FieldSpec("hba1c_percent", "HbA1c", "%", 0, 30, (3, 20), hard_min_exclusive=True),
)
NUMERIC_FIELDS: dict[str, FieldSpec] = {s.name: s for s in _SPECS}

OTHER_FIELDS = {
    "sex": ("GIOI_TINH",),
    "birth_date": ("NGAY_SINH",),
    "exam_date": ("NGAY_VAO",),
    "blood_pressure": ("HUYET_AP",),
    "dominant_hand": (),
    "physique_table": (),
    "measured_lying": (),
    "confirmed": (),
    "index_classes": (),
    "override": (),
}

ALIASES: dict[str, str] = {}
for _spec in _SPECS:
    for _alias in _spec.aliases:
        ALIASES[_alias.lower()] = _spec.name
for _name, _aliases in OTHER_FIELDS.items():
    for _alias in _aliases:
        ALIASES[_alias.lower()] = _name

_SEX = {"m": "M", "nam": "M", "male": "M", "f": "F", "nu": "F", "nữ": "F", "female": "F"}
_HAND = {"phai": "phai", "phải": "phai", "right": "phai", "trai": "trai", "trái": "trai", "left": "trai"}
PHYSIQUE_TABLES = ("lao_dong", "hoc_sinh")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_BP_TEXT = re.compile(r"^\s*(\d{2,3}(?:[.,]\d+)?)\s*/\s*(\d{2,3}(?:[.,]\d+)?)\s*(?:mmhg)?\s*$", re.IGNORECASE)
_VISION_TEXT = re.compile(r"^\s*(\d{1,2}(?:[.,]\d+)?)\s*/\s*10\s*$")


@dataclass(frozen=True)
class Age:
    """Age as the tables need it: completed years (QĐ 1613) and months/days (WHO growth)."""

    years: int
    months: float
    days: float
    from_dates: bool


@dataclass(frozen=True)
class DoctorClass:
    cls: int
    reason: str | None


@dataclass
class MeasurementWarning:
    field: str
    value: Any
    code: str
    message: str
    confirmed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "code": self.code,
            "message": self.message,
            "confirmed": self.confirmed,
        }


@dataclass
class Measurements:
    sex: str
    age: Age
    values: dict[str, float]  # usable numbers: plausible, or implausible but confirmed
    pending: dict[str, float]  # implausible and not confirmed: not used
    confirmed: frozenset[str]
    warnings: list[MeasurementWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dominant_hand: str | None = None
    physique_table: str = "lao_dong"
    measured_lying: bool | None = None
    index_classes: dict[str, DoctorClass] = field(default_factory=dict)
    override: DoctorClass | None = None

    def get(self, name: str) -> float | None:
        return self.values.get(name)

    def warn(self, field_name: str, value: Any, code: str, message: str) -> bool:
        """Record a warning on *field_name*; True when the caller already confirmed that field."""
        ok = field_name in self.confirmed
        self.warnings.append(MeasurementWarning(field_name, value, code, message, ok))
        return ok

    @property
    def needs_confirmation(self) -> bool:
        return any(not w.confirmed for w in self.warnings)

    def used_inputs(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sex": self.sex,
            "age_years": self.age.years,
            "age_months": round(self.age.months, 2),
            "physique_table": self.physique_table,
        }
        if self.dominant_hand:
            out["dominant_hand"] = self.dominant_hand
        if self.measured_lying is not None:
            out["measured_lying"] = self.measured_lying
        out.update({k: _plain(v) for k, v in sorted(self.values.items()) if k not in ("age", "age_months")})
        return out


def _plain(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


def _fmt(v: float) -> str:
    return str(_plain(v)).replace(".", ",")


def _show(raw: Any) -> str:
    """The offending input, quoted and cut short so that an error stays one readable line."""
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "…"


def _text(raw: Any) -> str:
    return unicodedata.normalize("NFC", raw).strip().lower() if isinstance(raw, str) else ""


def _number(spec: FieldSpec, raw: Any) -> float:
    if isinstance(raw, bool):
        raise InvalidMeasurement(f"{spec.label} phải là một số, không phải {raw!r}.")
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:
            raise InvalidMeasurement(f"{spec.label} quá lớn.") from None
    elif isinstance(raw, str):
        text = raw.strip()
        m = _VISION_TEXT.match(text) if spec.vision else None
        if m:
            text = m.group(1)
        elif spec.vision and "/" in text:
            raise InvalidMeasurement(
                f"{spec.label} ghi theo phần mười (ví dụ 8/10 hoặc 8), không phải {_show(raw)}."
            )
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise InvalidMeasurement(f"{spec.label} phải là một số, không phải {_show(raw)}.") from None
    else:
        raise InvalidMeasurement(f"{spec.label} phải là một số, không phải {type(raw).__name__}.")
    if not math.isfinite(value):
        raise InvalidMeasurement(f"{spec.label} phải là một số hữu hạn.")
    too_low = value <= spec.hard_min if spec.hard_min_exclusive else value < spec.hard_min
    if too_low or value > spec.hard_max:
        allowed = (
            f"lớn hơn {_fmt(spec.hard_min)} và không quá {_fmt(spec.hard_max)}"
            if spec.hard_min_exclusive
            else f"từ {_fmt(spec.hard_min)} đến {_fmt(spec.hard_max)}"
        )
        raise InvalidMeasurement(
            f"{spec.label} {_fmt(value)} {spec.unit} không thể có: phải {allowed} {spec.unit}."
        )
    if spec.integer and not value.is_integer():
        raise InvalidMeasurement(f"{spec.label} phải là số nguyên, không phải {_fmt(value)}.")
    return value


def _date(name: str, raw: Any) -> date:
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):
            return parse_date(raw)
    label = "Ngày sinh" if name == "birth_date" else "Ngày khám"
    raise InvalidMeasurement(f"{label} phải có dạng YYYY-MM-DD hoặc dd/mm/yyyy, không phải {_show(raw)}.")


def parse_class(raw: Any, what: str) -> int:
    """A health class given as 1–5 or I–V."""
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 5:
        return raw
    if isinstance(raw, str):
        text = raw.strip().upper().removeprefix("LOẠI").removeprefix("LOAI").strip()
        if text in _ROMAN:
            return _ROMAN[text]
        if text in ("1", "2", "3", "4", "5"):
            return int(text)
    raise InvalidMeasurement(f"{what}: loại sức khỏe phải là I–V (hoặc 1–5), không phải {_show(raw)}.")


def _doctor_class(raw: Any, what: str, *, reason_required: bool) -> DoctorClass:
    if isinstance(raw, dict):
        unknown = set(raw) - {"class", "reason"}
        if unknown:
            raise InvalidMeasurement(
                f"{what}: khóa không hợp lệ {', '.join(sorted(unknown))} (chỉ có class, reason)."
            )
        if "class" not in raw:
            raise InvalidMeasurement(f"{what}: thiếu loại sức khỏe (class).")
        cls = parse_class(raw["class"], what)
        reason = raw.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise InvalidMeasurement(f"{what}: lý do phải là văn bản.")
        reason = (reason or "").strip() or None
    else:
        cls, reason = parse_class(raw, what), None
    if reason_required and not reason:
        raise InvalidMeasurement(f"{what}: bác sĩ sửa phân loại phải ghi lý do (reason).")
    return DoctorClass(cls, reason)


def _canonical_keys(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    unknown = []
    for key, value in raw.items():
        name = None
        if isinstance(key, str):
            name = key if key in NUMERIC_FIELDS or key in OTHER_FIELDS else ALIASES.get(key.lower())
        if name is None:
            unknown.append(_show(key))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty form field
        if name in out:
            raise InvalidMeasurement(f"Trường {name} được nhập hai lần (tên gốc và tên theo mẫu Bộ Y tế).")
        out[name] = value
    if unknown:
        more = f" và {len(unknown) - 5} trường khác" if len(unknown) > 5 else ""
        raise InvalidMeasurement(f"Trường không được hỗ trợ: {', '.join(sorted(unknown)[:5])}{more}.")
    return out


def _age(data: dict[str, Any], numbers: dict[str, float]) -> Age:
    if "birth_date" in data:
        birth = _date("birth_date", data["birth_date"])
        if "exam_date" not in data:
            raise InvalidMeasurement("Có ngày sinh thì phải có ngày khám (exam_date) để tính tuổi.")
        exam = _date("exam_date", data["exam_date"])
        if exam < birth:
            raise InvalidMeasurement("Ngày khám trước ngày sinh.")
        days = float((exam - birth).days)
        years = age_on(exam, birth) or 0
        if "age" in numbers and math.floor(numbers["age"]) != years:
            raise InvalidMeasurement(
                f"Tuổi {_fmt(numbers['age'])} không khớp với ngày sinh (tròn {years} tuổi)."
            )
        if years > NUMERIC_FIELDS["age"].hard_max:
            raise InvalidMeasurement(f"Tuổi {years} không thể có.")
        return Age(years, days / DAYS_PER_MONTH, days, True)
    if "exam_date" in data:
        _date("exam_date", data["exam_date"])  # still checked, though unused without a birth date
    if "age_months" in numbers:
        months = numbers["age_months"]
        return Age(math.floor(months / 12), months, months * DAYS_PER_MONTH, False)
    if "age" in numbers:
        years_f = numbers["age"]
        return Age(math.floor(years_f), years_f * 12, years_f * 12 * DAYS_PER_MONTH, False)
    raise InvalidMeasurement("Thiếu tuổi: nhập age (năm), age_months hoặc birth_date với exam_date.")


def parse_measurements(raw: Any) -> Measurements:
    """Check and normalise one measurement object; raises :class:`InvalidMeasurement` on unreadable input."""
    if not isinstance(raw, dict):
        raise InvalidMeasurement("Dữ liệu đo phải là một đối tượng JSON (các cặp tên: giá trị).")
    data = _canonical_keys(raw)

    sex_raw = data.get("sex")
    if sex_raw is None:
        raise InvalidMeasurement("Thiếu giới tính (sex: nam hoặc nữ).")
    sex = _SEX.get(_text(sex_raw))
    if sex is None:
        raise InvalidMeasurement(f"Giới tính phải là nam hoặc nữ, không phải {_show(sex_raw)}.")

    numbers = {name: _number(NUMERIC_FIELDS[name], data[name]) for name in NUMERIC_FIELDS if name in data}
    if "blood_pressure" in data:
        if "systolic" in numbers or "diastolic" in numbers:
            raise InvalidMeasurement("Huyết áp được nhập hai lần (blood_pressure và systolic/diastolic).")
        bp = _BP_TEXT.match(str(data["blood_pressure"]))
        if not bp:
            raise InvalidMeasurement(
                f"Huyết áp phải có dạng 120/80, không phải {_show(data['blood_pressure'])}."
            )
        numbers["systolic"] = _number(NUMERIC_FIELDS["systolic"], bp.group(1))
        numbers["diastolic"] = _number(NUMERIC_FIELDS["diastolic"], bp.group(2))
    if ("systolic" in numbers) != ("diastolic" in numbers):
        raise InvalidMeasurement("Huyết áp cần cả tâm thu và tâm trương.")
    if "systolic" in numbers and numbers["systolic"] <= numbers["diastolic"]:
        raise InvalidMeasurement(
            f"Huyết áp {_fmt(numbers['systolic'])}/{_fmt(numbers['diastolic'])}: "
            "tâm thu phải lớn hơn tâm trương (có thể nhập đảo)."
        )

    if ("chest_inspiration_cm" in numbers) != ("chest_expiration_cm" in numbers):
        raise InvalidMeasurement(
            "Vòng ngực cần cả số đo hít vào và thở ra (hoặc nhập vòng ngực trung bình chest_cm)."
        )
    if "chest_cm" in numbers and "chest_inspiration_cm" in numbers:
        raise InvalidMeasurement("Vòng ngực được nhập hai lần (trung bình và hít vào/thở ra).")

    age = _age(data, numbers)

    confirmed_raw = data.get("confirmed", [])
    if not isinstance(confirmed_raw, list) or not all(isinstance(x, str) for x in confirmed_raw):
        raise InvalidMeasurement("confirmed phải là danh sách tên trường đã xác nhận.")
    confirmed = set()
    for name in confirmed_raw:
        canonical = name if name in NUMERIC_FIELDS else ALIASES.get(name.lower(), name)
        if canonical == "blood_pressure":
            confirmed.update({"systolic", "diastolic"})
        elif canonical in NUMERIC_FIELDS:
            confirmed.add(canonical)
        else:
            raise InvalidMeasurement(f"confirmed: không có trường số {_show(name)}.")

    hand = data.get("dominant_hand")
    if hand is not None:
        hand = _HAND.get(_text(hand))
        if hand is None:
            raise InvalidMeasurement(
                f"Tay thuận phải là phải hoặc trái, không phải {_show(data['dominant_hand'])}."
            )

    table = data.get("physique_table", "lao_dong")
    if table not in PHYSIQUE_TABLES:
        raise InvalidMeasurement(
            f"Bảng thể lực phải là lao_dong (1.2) hoặc hoc_sinh (1.1), không phải {_show(table)}."
        )

    lying = data.get("measured_lying")
    if lying is not None and not isinstance(lying, bool):
        raise InvalidMeasurement("measured_lying phải là true (đo nằm) hoặc false (đo đứng).")

    index_raw = data.get("index_classes", {})
    if not isinstance(index_raw, dict):
        raise InvalidMeasurement("index_classes phải là đối tượng {mã chỉ số: loại}.")
    index_classes = {
        str(code): _doctor_class(v, f"Chỉ số {code}", reason_required=False) for code, v in index_raw.items()
    }
    override = None
    if "override" in data:
        if not isinstance(data["override"], dict):
            raise InvalidMeasurement('override phải có dạng {"class": "III", "reason": "..."}.')
        override = _doctor_class(data["override"], "Phân loại chung", reason_required=True)

    m = Measurements(
        sex=sex,
        age=age,
        values={},
        pending={},
        confirmed=frozenset(confirmed),
        dominant_hand=hand,
        physique_table=table,
        measured_lying=lying,
        index_classes=index_classes,
        override=override,
    )
    adult = age.years >= 15
    for name, value in numbers.items():
        spec = NUMERIC_FIELDS[name]
        lo, hi = spec.adult_plausible if adult and spec.adult_plausible else spec.plausible
        ok = True
        if not lo <= value <= hi:
            ok = m.warn(
                name,
                _plain(value),
                "ngoai_khoang_hop_ly",
                f"{spec.label} {_fmt(value)} {spec.unit} nằm ngoài khoảng thường gặp "
                f"({_fmt(lo)}–{_fmt(hi)} {spec.unit}): kiểm tra lại, nếu đúng thì xác nhận.",
            )
        elif spec.vision and 0 < value < 1 and not value.is_integer():
            ok = m.warn(
                name,
                _plain(value),
                "thi_luc_thap_phan",
                f"{spec.label} {_fmt(value)}/10: có phải thị lực thập phân? 8/10 nhập là 8. "
                "Nếu đúng là dưới 1/10 thì xác nhận.",
            )
        (m.values if ok else m.pending)[name] = value
    if not age.from_dates and age.years < 19 and ("height_cm" in numbers or "weight_kg" in numbers):
        m.notes.append(
            "Trẻ em: nên nhập ngày sinh và ngày khám; z-score đang tính theo tuổi đã cho, không theo ngày."
        )
    return m
