"""The schema of one KHAMSUCKHOE record, written from the QĐ 1551 data set (Phụ lục 01 as amended by QĐ 2062): for
each part (``XML1``…``XML12``) its root element and fields, each with its type, maximum length, whether it is
mandatory (for which record types) and its allowed values. A table, checked by :func:`check_record` — the bundle
has no room for an XSD engine.

Sources: field names and maximum lengths as public HIS code checks them against the QĐ 2062 length column
(``KskVlgLengthRules``: "n" = no limit, not checked); the parts' root elements as public code maps them
(``XML1`` THONG_TIN_HANH_CHINH … ``XML12`` KET_LUAN); mandatory fields from the decision's digest and public code
(``DOI_TUONG`` and ``NGUON_CHI_TRA`` are mandatory since QĐ 2062); formats: dates ``YYYYMMDD``, moments
``YYYYMMDDHHmm`` (the birth date ``YYYYMMDD``, as the domain notes give it, within the field's 12 characters), yes/no ``1``/``0``, classes
``1``–``5``, ICD-10 codes joined with ``;``.

Which parts a record carries depends on its type (``XML2/TYPE``): every record has XML1, XML2, XML7, XML8 and
XML12; a child under 6 (``ChildUnder``) adds XML3 (vital signs) and XML4 (nutrition); from 6 years (``Minor``,
``Adult``) XML9 (history), XML10 (physical) and XML11 (laboratory results, when there are any).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALL = frozenset({"Adult", "Minor", "ChildUnder"})
SIX_PLUS = frozenset({"Adult", "Minor"})
UNDER_18 = frozenset({"Minor", "ChildUnder"})
ADULT = frozenset({"Adult"})
NONE: frozenset[str] = frozenset()

ROOTS = {
    "XML1": "THONG_TIN_HANH_CHINH",
    "XML2": "THONG_TIN_CHUNG_VE_LAN_KHAM",
    "XML3": "DANH_GIA_DAU_HIEU_SINH_TON",
    "XML4": "DANH_GIA_DINH_DUONG",
    "XML7": "KHAM_LAM_SANG",
    "XML8": "KET_LUAN_VA_TU_VAN",
    "XML9": "TIEN_SU_BENH_TAT",
    "XML10": "KHAM_THE_LUC",
    "XML11": "KHAM_CAN_LAM_SANG",
    "XML12": "KET_LUAN",
}
PART_ORDER = tuple(ROOTS)
#: The parts each record type carries (XML11 only when there are laboratory results).
PARTS_OF_TYPE = {
    "ChildUnder": ("XML1", "XML2", "XML3", "XML4", "XML7", "XML8", "XML12"),
    "Minor": ("XML1", "XML2", "XML7", "XML8", "XML9", "XML10", "XML11", "XML12"),
    "Adult": ("XML1", "XML2", "XML7", "XML8", "XML9", "XML10", "XML11", "XML12"),
}
OPTIONAL_PARTS = frozenset({"XML11"})
#: XML11 holds a list: ``<DANH_SACH_CLS><CHI_TIET_CLS>…</CHI_TIET_CLS>…</DANH_SACH_CLS>``.
LAB_LIST, LAB_ITEM = "DANH_SACH_CLS", "CHI_TIET_CLS"

_ICD = r"[A-Z][0-9]{2}(?:\.[0-9]{1,4})?"
_PATTERNS: dict[str, re.Pattern[str] | None] = {
    "text": None,
    "int": re.compile(r"[0-9]+"),
    "num": re.compile(r"[0-9]+(?:\.[0-9]+)?"),
    "bool": re.compile(r"[01]"),
    "class": re.compile(r"[1-5]"),
    "date8": re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"),
    "dt12": re.compile(
        r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])[0-5][0-9]"
    ),
    "icd": re.compile(rf"{_ICD}(?:;{_ICD})*"),
    "cccd": re.compile(r"[0-9]{12}"),
    "digits": re.compile(r"[0-9]+"),
    "bp": re.compile(r"[0-9]{2,3}/[0-9]{2,3}"),
    "vision": re.compile(r"(?:[0-9]|1[0-9]|20)/10"),
    "codes": re.compile(r"(?:[1-9]|1[0-4])(?:;(?:[1-9]|1[0-4]))*"),
}
PATTERNS = _PATTERNS
DATE8 = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
SUBJECT_CODES = re.compile(r"(?:[1-9]|1[0-4])(?:;(?:[1-9]|1[0-4]))*")
TYPE_LABELS = {
    "text": "văn bản",
    "int": "số nguyên",
    "num": "số (dấu chấm thập phân)",
    "bool": "1 (có) hoặc 0 (không)",
    "class": "phân loại 1–5",
    "date8": "ngày dạng YYYYMMDD",
    "dt12": "thời điểm dạng YYYYMMDDHHmm",
    "icd": "mã ICD-10, nhiều mã cách nhau bởi ;",
    "cccd": "đúng 12 chữ số",
    "digits": "chữ số",
    "bp": "tâm thu/tâm trương, ví dụ 120/80",
    "vision": "thị lực dạng n/10",
    "codes": "mã 1–14, nhiều mã cách nhau bởi ;",
}


@dataclass(frozen=True)
class Field:
    part: str
    name: str
    label: str
    kind: str
    max_len: int | None = None
    required: frozenset[str] = NONE
    values: frozenset[str] | None = None


def _f(
    part: str, name: str, label: str, kind: str, max_len: int | None = None, required=NONE, values=None
) -> Field:  # noqa: ANN001
    return Field(part, name, label, kind, max_len, required, frozenset(values) if values else None)


_B, _C = "bool", "class"
FIELDS: tuple[Field, ...] = (
    # XML1 administrative
    _f("XML1", "HO_TEN", "Họ và tên", "text", 255, ALL),
    _f("XML1", "GIOI_TINH", "Giới tính", "int", 1, ALL, {"1", "2"}),
    _f("XML1", "NGAY_SINH", "Ngày sinh", "date8", 12, ALL),
    _f("XML1", "MA_DAN_TOC", "Mã dân tộc", "digits", 2, ALL),
    _f("XML1", "SO_CCCD", "Số định danh cá nhân (CCCD)", "cccd", 12, ALL),
    _f("XML1", "NGAYCAP_CCCD", "Ngày cấp CCCD", "date8", 8),
    _f("XML1", "NOICAP_CCCD", "Nơi cấp CCCD", "text", 1024),
    _f("XML1", "DIA_CHI", "Địa chỉ nơi ở", "text", 1024, ALL),
    _f("XML1", "MATINH_CU_TRU", "Mã tỉnh cư trú", "digits", 3, ALL),
    _f("XML1", "MAXA_CU_TRU", "Mã xã cư trú", "digits", 5, ALL),
    _f("XML1", "DIEN_THOAI", "Điện thoại", "digits", 15),
    _f("XML1", "NGUOI_GIAM_HO", "Họ tên người giám hộ", "text", 255),
    _f("XML1", "SO_CCCD_NGH", "Số định danh người giám hộ", "cccd", 12),
    _f("XML1", "DIEN_THOAI_NGH", "Điện thoại người giám hộ", "digits", 15),
    _f("XML1", "MA_NGHE_NGHIEP", "Mã nghề nghiệp", "text", 2, ADULT),
    _f("XML1", "NHOM_MAU", "Nhóm máu", "text", 5, NONE, {"A", "B", "AB", "O"}),
    _f("XML1", "NOI_LAM_VIEC_HOC_TAP", "Nơi làm việc, học tập", "text", 1024),
    _f("XML1", "LY_DO_VV", "Lý do khám", "text"),
    # XML2 the visit
    _f("XML2", "MA_LK", "Mã liên kết (MA_LK)", "text", 100, ALL),
    _f("XML2", "MA_CSKCB", "Mã cơ sở khám chữa bệnh", "text", 5, ALL),
    _f("XML2", "TYPE", "Loại hồ sơ", "text", 10, ALL, {"Adult", "Minor", "ChildUnder"}),
    _f("XML2", "MA_GTIN_CSKCB", "Mã định danh cơ sở (GLN)", "digits", 13, ALL),
    _f("XML2", "DOI_TUONG", "Đối tượng", "codes", 50, ALL),
    _f("XML2", "NGUON_CHI_TRA", "Nguồn chi trả", "int", 1, ALL, {"1", "2", "3", "4", "5", "9"}),
    _f("XML2", "MA_LOAI_KCB", "Mã loại khám chữa bệnh", "digits", 2, ALL),
    _f("XML2", "NGAY_VAO", "Thời điểm vào khám", "dt12", 12, ALL),
    # XML3 vital signs (under 6)
    _f("XML3", "NHIET_DO", "Nhiệt độ", "num", 10),
    _f("XML3", "MACH", "Mạch", "int", 100),
    _f("XML3", "NHIP_THO", "Nhịp thở", "int", 10),
    _f("XML3", "HUYET_AP", "Huyết áp", "bp", 100),
    # XML4 nutrition (under 6)
    _f("XML4", "CHIEU_DAI", "Chiều dài nằm", "num", 10),
    _f("XML4", "CHIEU_CAO", "Chiều cao", "num", 10),
    _f("XML4", "CAN_NANG", "Cân nặng", "num", 6, frozenset({"ChildUnder"})),
    # XML7 clinical exam
    *(
        f
        for code, label in (
            ("NOI_KHOA_TUAN_HOAN", "Tuần hoàn"),
            ("NOI_KHOA_HO_HAP", "Hô hấp"),
            ("NOI_KHOA_TIEU_HOA", "Tiêu hóa"),
            ("NOI_KHOA_THAN_TN_SD", "Thận - Tiết niệu - Sinh dục"),
            ("NOI_KHOA_NOI_TIET", "Nội tiết"),
            ("NOI_KHOA_CO_XUONG_KHOP", "Cơ - xương - khớp"),
            ("NOI_KHOA_THAN_KINH", "Thần kinh"),
            ("NOI_KHOA_TAM_THAN", "Tâm thần"),
        )
        for f in (_f("XML7", code, label, "text"), _f("XML7", code + "_PL", label + ": phân loại", _C, 1))
    ),
    _f("XML7", "KET_QUA_KHAM_NGOAI_KHOA", "Ngoại khoa", "text"),
    _f("XML7", "KHAM_NGOAI_KHOA_PL", "Ngoại khoa: phân loại", _C, 1),
    _f("XML7", "KET_QUA_KHAM_DA_LIEU", "Da liễu", "text"),
    _f("XML7", "KHAM_DA_LIEU_PL", "Da liễu: phân loại", _C, 1),
    _f("XML7", "KET_QUA_KHAM_SAN_PHU_KHOA", "Sản phụ khoa", "text"),
    _f("XML7", "KHAM_SAN_PHU_KHOA_PL", "Sản phụ khoa: phân loại", _C, 1),
    _f("XML7", "KHONG_KINH_MAT_PHAI", "Thị lực mắt phải không kính", "vision", 5),
    _f("XML7", "KHONG_KINH_MAT_TRAI", "Thị lực mắt trái không kính", "vision", 5),
    _f("XML7", "CO_KINH_MAT_PHAI", "Thị lực mắt phải có kính", "vision", 5),
    _f("XML7", "CO_KINH_MAT_TRAI", "Thị lực mắt trái có kính", "vision", 5),
    _f("XML7", "BENH_KHAC_MAT", "Bệnh về mắt", "text"),
    _f("XML7", "KHAM_MAT_PL", "Mắt: phân loại", _C, 1),
    _f("XML7", "TAI_TRAI_NOI_THUONG", "Tai trái nói thường (m)", "num", 10),
    _f("XML7", "TAI_TRAI_NOI_THAM", "Tai trái nói thầm (m)", "num", 10),
    _f("XML7", "TAI_PHAI_NOI_THUONG", "Tai phải nói thường (m)", "num", 10),
    _f("XML7", "TAI_PHAI_NOI_THAM", "Tai phải nói thầm (m)", "num", 10),
    _f("XML7", "BENH_KHAC_TAI_MUI_HONG", "Bệnh tai mũi họng", "text"),
    _f("XML7", "KHAM_TAI_MUI_HONG_PL", "Tai mũi họng: phân loại", _C, 1),
    _f("XML7", "HAM_TREN", "Hàm trên", "text"),
    _f("XML7", "HAM_DUOI", "Hàm dưới", "text"),
    _f("XML7", "BENH_KHAC_RANG_HAM_MAT", "Bệnh răng hàm mặt", "text"),
    _f("XML7", "KHAM_RANG_HAM_MAT_PL", "Răng hàm mặt: phân loại", _C, 1),
    # XML8 conclusion and advice
    _f("XML8", "BINH_THUONG", "Bình thường", _B, 1, ALL),
    _f("XML8", "NGUY_CO_MAC_LAO", "Có nguy cơ mắc lao", _B, 1, ALL),
    _f("XML8", "VAN_DE_SUC_KHOE", "Có vấn đề về sức khỏe", _B, 1, ALL),
    _f("XML8", "KET_LUAN_BENH", "Kết luận bệnh (ICD-10)", "icd", 255, ALL),
    _f("XML8", "GHI_RO_VAN_DE_SUC_KHOE", "Ghi rõ vấn đề sức khỏe", "text"),
    _f("XML8", "HEN_KHAM_LAN_SAU", "Hẹn khám lần sau", _B, 1),
    _f("XML8", "TU_VAN_HEN_KHAM_LAN_SAU", "Tư vấn và hẹn khám lần sau", "text"),
    _f("XML8", "CHUYEN_CSKCB", "Chuyển cơ sở khám bệnh, chữa bệnh", _B, 1, ALL),
    # XML9 history (from 6 years)
    _f("XML9", "TSGD_MAC_BENH", "Gia đình có người mắc bệnh", _B, 1),
    _f("XML9", "TSGD_MA_BENH", "Bệnh của người trong gia đình", "icd", 255),
    *(
        _f("XML9", "TSBT_" + code, label, _B, 1)
        for code, label in (
            ("BENH_TRONG_5_NAM_QUA", "Bệnh trong 5 năm qua"),
            ("BENH_THAN_KINH", "Bệnh thần kinh"),
            ("BENH_MAT", "Bệnh mắt"),
            ("BENH_TAI", "Bệnh tai"),
            ("BENH_TIM", "Bệnh tim"),
            ("PHAU_THUAT_TIM", "Phẫu thuật tim"),
            ("TANG_HUYET_AP", "Tăng huyết áp"),
            ("KHO_THO", "Khó thở"),
            ("BENH_PHOI", "Bệnh phổi"),
            ("BENH_THAN", "Bệnh thận"),
            ("NGHIEN_RUOU", "Nghiện rượu"),
            ("DAI_THAO_DUONG", "Đái tháo đường"),
            ("BENH_TAM_THAN", "Bệnh tâm thần"),
            ("MAT_Y_THUC", "Mất ý thức"),
            ("NGAT", "Ngất"),
            ("BENH_TIEU_HOA", "Bệnh tiêu hóa"),
            ("ROI_LOAN_GIAC_NGU", "Rối loạn giấc ngủ"),
            ("TAI_BIEN", "Tai biến mạch máu não"),
            ("BENH_COT_SONG", "Bệnh cột sống"),
            ("RUOU_THUONG_XUYEN", "Dùng rượu thường xuyên"),
            ("MA_TUY", "Dùng ma túy"),
            ("BENH_KHAC", "Bệnh khác"),
            ("DANG_DIEU_TRI_BENH", "Đang điều trị bệnh"),
            ("THAI_SAN", "Tiền sử thai sản"),
        )
    ),
    _f("XML9", "TSBT_MA_BENH_KHAC", "Bệnh khác (mã ICD-10)", "icd", 255),
    _f("XML9", "TSBT_MA_BENH", "Bệnh đang điều trị (mã ICD-10)", "icd", 255),
    _f("XML9", "TSBT_TEN_THUOC_LIEU_LUONG", "Thuốc và liều lượng đang dùng", "text", 1024),
    _f("XML9", "TSBT_MA_BENH_THAI_SAN", "Bệnh thai sản (mã ICD-10)", "icd", 255),
    _f("XML9", "TSBT_TEN_THUOC_THAI_SAN", "Biện pháp tránh thai", "text", 1024),
    # XML10 physical (from 6 years)
    _f("XML10", "CHIEU_CAO", "Chiều cao (cm)", "num", 10, SIX_PLUS),
    _f("XML10", "CAN_NANG", "Cân nặng (kg)", "num", 6, SIX_PLUS),
    _f("XML10", "CHI_SO_BMI", "Chỉ số BMI", "num", 10, SIX_PLUS),
    _f("XML10", "MACH", "Mạch", "int", 100),
    _f("XML10", "HUYET_AP", "Huyết áp", "bp", 100, ADULT),
    _f("XML10", "NHIET_DO", "Nhiệt độ", "num", 10),
    _f("XML10", "NHIP_THO", "Nhịp thở", "int", 10),
    _f("XML10", "KHAM_THE_LUC_PL", "Thể lực: phân loại", _C, 1),
    # XML11 laboratory results: one CHI_TIET_CLS per result
    _f("XML11", "MA_DICH_VU", "Mã dịch vụ", "text", 50, SIX_PLUS),
    _f("XML11", "MA_CHI_SO", "Mã chỉ số", "text", 255, SIX_PLUS),
    _f("XML11", "TEN_CHI_SO", "Tên chỉ số", "text", 255),
    _f("XML11", "GIA_TRI", "Giá trị", "text", 255, SIX_PLUS),
    _f("XML11", "DON_VI_DO", "Đơn vị đo", "text", 50),
    # XML12 conclusion
    _f("XML12", "PHAN_LOAI_SK", "Phân loại sức khỏe", _C, 1, ALL),
    _f("XML12", "KET_LUAN_BENH", "Kết luận bệnh (ICD-10)", "icd", 255, ALL),
    _f("XML12", "CAC_VAN_DE_SUC_KHOE", "Các vấn đề sức khỏe", "text"),
)
BY_PART: dict[str, dict[str, Field]] = {}
for _field in FIELDS:
    BY_PART.setdefault(_field.part, {})[_field.name] = _field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (part and field, or None for the file's frame) and what, in Vietnamese."""

    part: str | None
    field: str | None
    message: str
    missing: bool = False  # a mandatory field (or part) that is absent or empty

    def to_json(self) -> dict:
        return {"part": self.part, "field": self.field, "message": self.message, "missing": self.missing}


def _check_value(f: Field, value: str, where: str) -> list[Problem]:
    out = []
    if f.max_len is not None and len(value) > f.max_len:
        out.append(Problem(f.part, f.name, f"{where}: dài {len(value)} ký tự, tối đa {f.max_len}."))
    pattern = PATTERNS[f.kind]
    if pattern is not None and not pattern.fullmatch(value):
        out.append(Problem(f.part, f.name, f"{where}: phải là {TYPE_LABELS[f.kind]}."))
    elif f.values is not None and value not in f.values:
        out.append(
            Problem(
                f.part, f.name, f"{where}: giá trị không hợp lệ (chỉ nhận {', '.join(sorted(f.values))})."
            )
        )
    return out


def _check_fields(part: str, values: dict[str, str], record_type: str, prefix: str) -> list[Problem]:
    out: list[Problem] = []
    table = BY_PART[part]
    for name, value in values.items():
        f = table.get(name)
        if f is None:
            out.append(Problem(part, name, f"{prefix}{name}: trường không có trong bộ dữ liệu."))
            continue
        if value != "":
            out.extend(_check_value(f, value, f"{prefix}{f.label} ({name})"))
    for name, f in table.items():
        if record_type in f.required and not values.get(name):
            out.append(Problem(part, name, f"{prefix}Thiếu {f.label} ({name}) — trường bắt buộc.", True))
    return out


def check_record(record_type: str, parts: dict[str, object]) -> list[Problem]:
    """The problems of one record: its *parts* (``{"XML1": {field: text}, …, "XML11": [{field: text}, …]}``)
    checked against the table for its *record_type* (``XML2/TYPE``)."""
    if record_type not in PARTS_OF_TYPE:
        return [Problem("XML2", "TYPE", f"Loại hồ sơ (TYPE) {record_type!r} không hợp lệ.")]
    out: list[Problem] = []
    expected = PARTS_OF_TYPE[record_type]
    for part in expected:
        if part not in parts and part not in OPTIONAL_PARTS:
            out.append(Problem(part, None, f"Thiếu phần {part} ({ROOTS[part]}).", True))
    for part, content in parts.items():
        if part not in expected:
            out.append(Problem(part, None, f"Phần {part} không thuộc loại hồ sơ {record_type}."))
            continue
        prefix = f"{part} "
        if part == "XML11":
            items = content if isinstance(content, list) else []
            if not items:
                out.append(Problem(part, None, f"{part}: không có kết quả cận lâm sàng nào."))
            for i, item in enumerate(items, 1):
                out.extend(_check_fields(part, dict(item), record_type, f"{part} kết quả {i}: "))
        else:
            out.extend(
                _check_fields(part, dict(content) if isinstance(content, dict) else {}, record_type, prefix)
            )
    return out
