"""Screening flags raised by a classification, each with its Vietnamese label (one catalogue)."""

from __future__ import annotations

LABELS: dict[str, str] = {
    "tang_huyet_ap": "Tăng huyết áp",
    "tha_tam_thu_don_doc": "Tăng huyết áp tâm thu đơn độc",
    "tien_tang_huyet_ap": "Tiền tăng huyết áp",
    "nhe_can": "Nhẹ cân",
    "thua_can": "Thừa cân",
    "beo_phi": "Béo phì",
    "thap_coi": "Thấp còi",
    "gay_com": "Gầy còm",
    "duong_huyet_cao": "Đường huyết cao: nghi đái tháo đường, cần xét nghiệm khẳng định",
}

# A severe child category raises the same flag as its moderate form (the category itself says "nặng").
_CHILD_CATEGORY_FLAG = {
    "nhe_can": "nhe_can",
    "nhe_can_nang": "nhe_can",
    "thap_coi": "thap_coi",
    "thap_coi_nang": "thap_coi",
    "gay_com": "gay_com",
    "gay_com_nang": "gay_com",
    "thua_can": "thua_can",
    "beo_phi": "beo_phi",
}
_ADULT_BMI_FLAG = {
    "nhe_can": "nhe_can",
    "thua_can": "thua_can",
    "beo_phi_do_1": "beo_phi",
    "beo_phi_do_2": "beo_phi",
}


def child_flag(category_code: str) -> str | None:
    return _CHILD_CATEGORY_FLAG.get(category_code)


def adult_bmi_flag(category_code: str) -> str | None:
    return _ADULT_BMI_FLAG.get(category_code)


def flag(code: str, source: str) -> dict[str, str]:
    return {"code": code, "label": LABELS[code], "source": source}
