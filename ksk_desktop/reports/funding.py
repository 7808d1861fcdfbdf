"""Funding sources of an exam, as the Ministry's monthly report counts them (CV 1129/TTg-KGVX: the number
examined per target group and per funding source; QĐ 1551 ``NGUON_KINH_PHI`` / ``NGUON_CHI_TRA``).

The Ministry's code list was not published with the decision, so an exam's "Nguồn chi trả" (``admin.payer``,
free text on the adult form) is read by its words. An exam that names none is counted under the source the head
set for the person's group that year, or else the default below, which follows who organises and pays for each
group in the plan (mục IV.4.2 and V.1): the commune's budget for a, b and đ, the employer for c, the Ministry of
Defence or Public Security (central budget) for d.
"""

from __future__ import annotations

from ksk_desktop.text import fold

SOURCES: tuple[tuple[str, str], ...] = (
    ("central_budget", "Ngân sách trung ương"),
    ("local_budget", "Ngân sách địa phương"),
    ("insurance", "Quỹ bảo hiểm y tế"),
    ("employer", "Người sử dụng lao động"),
    ("socialised", "Xã hội hóa, tài trợ"),
    ("other", "Nguồn khác"),
)
KEYS = tuple(k for k, _ in SOURCES)
LABELS = dict(SOURCES)

DEFAULT_BY_GROUP = {
    "a": "local_budget",
    "b": "local_budget",
    "c": "employer",
    "d": "central_budget",
    "đ": "local_budget",
}

# Folded phrases → source; the first that occurs in the folded text wins (longer, more specific ones first).
_WORDS: tuple[tuple[str, str], ...] = (
    ("trung uong", "central_budget"),
    ("nstw", "central_budget"),
    ("bo quoc phong", "central_budget"),
    ("bo cong an", "central_budget"),
    ("dia phuong", "local_budget"),
    ("nsdp", "local_budget"),
    ("ngan sach", "local_budget"),
    ("bao hiem", "insurance"),
    ("bhyt", "insurance"),
    ("su dung lao dong", "employer"),
    ("doanh nghiep", "employer"),
    ("co quan", "employer"),
    ("xa hoi hoa", "socialised"),
    ("tai tro", "socialised"),
    ("vien tro", "socialised"),
)


def parse(text: str | None) -> str | None:
    """The source an exam's "Nguồn chi trả" names (a key of :data:`SOURCES`), ``"other"`` for words that name none
    of them, ``None`` when nothing was written."""
    if text is None:
        return None
    folded = fold(str(text)).strip()
    if not folded:
        return None
    if folded.replace(" ", "_") in LABELS:
        return folded.replace(" ", "_")
    for words, key in _WORDS:
        if words in folded:
            return key
    return "other"


def empty() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)
