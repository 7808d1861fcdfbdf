"""The CCCD / căn cước QR parser: the shared samples, every variant and error class of vietnam.md §1.

All numbers and names are synthetic (serials 9999xx), never real people.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from ksk_desktop.cccd import (
    MAX_PAYLOAD_CHARS,
    PROVINCES,
    CccdCard,
    InvalidCccdPayload,
    century_sex_digit,
    collapse_ime_artefacts,
    consistency_warnings,
    ime_artefacts,
    parse_cccd,
    repair_mojibake,
    split_id,
)
from ksk_desktop.errors import InvalidInput

TODAY = date(2026, 6, 1)
HERE = Path(__file__).resolve().parent
SAMPLE_FILES = [
    HERE / "data" / "cccd-samples.jsonl",
    Path(__file__).parents[2] / "shared/data/cccd-samples.jsonl",
]

V01 = (
    "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|"
    "Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng|10052021"
)
V03 = (
    "031060999903|999888703|Lê Văn Giả|01011960|Nam|"
    "Tổ dân phố Mẫu, Phường Thủy Nguyên, Thành phố Hải Phòng|15082024||||"
)
V05 = "031216999905||Vũ Minh Thử|12062016|Nam|Thôn Mẫu, Đặc khu Cát Hải, Thành phố Hải Phòng|09092025||||"


def parse(raw: str) -> CccdCard:
    return parse_cccd(raw, today=TODAY)


def error_of(raw: object) -> InvalidCccdPayload:
    with pytest.raises(InvalidCccdPayload) as info:
        parse_cccd(raw, today=TODAY)  # type: ignore[arg-type]
    return info.value


def load_samples() -> list[dict]:
    path = next((p for p in SAMPLE_FILES if p.exists()), None)
    assert path is not None, "tests/data/cccd-samples.jsonl is missing"
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()
    ]  # not splitlines(): payloads hold U+0085


SAMPLES = load_samples()


# --- The shared samples -------------------------------------------------------------------------------


def test_the_tests_data_copy_matches_shared_when_both_exist():
    local, shared = SAMPLE_FILES
    if not shared.exists():
        pytest.skip("shared/ is absent")
    assert local.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["case"] for s in SAMPLES])
def test_shared_sample(sample):
    if sample["expect"] == "error":
        error_of(sample["payload"])
        return
    card = parse(sample["payload"])
    assert (card.id, card.name, card.dob.isoformat(), card.sex) == (
        sample["id"],
        sample["name"],
        sample["dob"],
        sample["sex"],
    )
    if "old_id" in sample:
        assert card.old_id == sample["old_id"]
    if sample["warn"] is True:
        assert card.warnings
    elif sample["warn"] is False:
        assert card.warnings == []


# --- vietnam.md §1.7 vectors with every expected field ----------------------------------------------

VECTORS = [
    # (case, payload, id, old_id, name, dob, sex, issued, field count)
    ("V01", V01, "031085999901", "999888701", "Nguyễn Văn Thử", "1985-04-15", "M", "2021-05-10"),
    (
        "V02",
        "031303999902||Trần Thị Mẫu|02032003|Nữ|Thôn Thử Nghiệm, Xã Việt Khê, Thành phố Hải Phòng|20042021",
        "031303999902",
        None,
        "Trần Thị Mẫu",
        "2003-03-02",
        "F",
        "2021-04-20",
    ),
    ("V03", V03, "031060999903", "999888703", "Lê Văn Giả", "1960-01-01", "M", "2024-08-15"),
    (
        "V04",
        "030195999904||Phạm Thị Ví Dụ|30121995|Nữ|Số 0 Phố Thử, Phường Hải Dương, Thành phố Hải Phòng|05032025||||",
        "030195999904",
        None,
        "Phạm Thị Ví Dụ",
        "1995-12-30",
        "F",
        "2025-03-05",
    ),
    ("V05", V05, "031216999905", None, "Vũ Minh Thử", "2016-06-12", "M", "2025-09-09"),
    (
        "V06",
        "031072999906|999888706|Đỗ Văn Kiểm|09091972|Nam|Thôn Mẫu, Xã Thử Nghiệm, Huyện An Lão, Hải Phòng|01072021",
        "031072999906",
        "999888706",
        "Đỗ Văn Kiểm",
        "1972-09-09",
        "M",
        "2021-07-01",
    ),
    (
        "V07",
        "\ufeff031148999907|999888707|Hoàng Thị Thí Nghiệm|20111948|Nữ|Số 0 Ngõ Giả, Phường Lê Chân, "
        "Thành phố Hải Phòng|12122022\r\n",
        "031148999907",
        "999888707",
        "Hoàng Thị Thí Nghiệm",
        "1948-11-20",
        "F",
        "2022-12-12",
    ),
    (
        "V08",
        "031090999908|999888708|Bu\u0300i Va\u0306n Ma\u0302\u0303u|01021990|Nam|Xa\u0303 Tie\u0302n La\u0303ng, "
        "Tha\u0300nh pho\u0302\u0301 Ha\u0309i Pho\u0300ng|03032023",
        "031090999908",
        "999888708",
        "Bùi Văn Mẫu",
        "1990-02-01",
        "M",
        "2023-03-03",
    ),
    (
        "V09",
        "031085999901|999888701|Nguyá»\x85n VÄ\x83n Thá»\xad|15041985|Nam|PhÆ°á»\x9dng Há»\x93ng BÃ\xa0ng, "
        "ThÃ\xa0nh phá»\x91 Háº£i PhÃ²ng|10052021",
        "031085999901",
        "999888701",
        "Nguyễn Văn Thử",
        "1985-04-15",
        "M",
        "2021-05-10",
    ),
]


@pytest.mark.parametrize("case,payload,pid,old,name,dob,sex,issued", VECTORS, ids=[v[0] for v in VECTORS])
def test_vietnam_md_vector(case, payload, pid, old, name, dob, sex, issued):
    card = parse(payload)
    assert card.to_json() == {
        "ok": True,
        "id": pid,
        "old_id": old,
        "name": name,
        "dob": dob,
        "sex": sex,
        "address": card.address,
        "issued": issued,
        "extra": [],
        "warnings": [],
    }
    assert card.address == unicodedata.normalize("NFC", card.address) and "Hải Phòng" in card.address


def test_to_json_has_exactly_the_contract_keys_and_is_serialisable():
    out = parse(V01).to_json()
    assert list(out) == ["ok", "id", "old_id", "name", "dob", "sex", "address", "issued", "extra", "warnings"]
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out


def test_card_is_frozen_and_its_repr_hides_personal_data():
    card = parse(V01)
    with pytest.raises(AttributeError):
        card.name = "x"  # type: ignore[misc]
    assert "Nguyễn" not in repr(card) and "999901" not in repr(card)


def test_error_type_is_the_core_invalid_input_with_exit_code_2():
    err = error_of("")
    assert isinstance(err, InvalidInput) and err.exit_code == 2 and err.code == "empty"


# --- Variants ----------------------------------------------------------------------------------------


def test_eleven_fields_keep_non_empty_trailing_fields_as_extra():
    payload = V03[:-4] + "|999999999999|Lê Văn Cha|Nguyễn Thị Mẹ|"
    card = parse(payload)
    assert card.extra == ["999999999999", "Lê Văn Cha", "Nguyễn Thị Mẹ"]
    assert card.warnings == []


def test_more_than_eleven_fields_are_tolerated():
    card = parse(V03 + "||||")
    assert card.id == "031060999903" and card.extra == []


@pytest.mark.parametrize(
    "payload",
    [
        "031085999901|Nguyễn Văn Thử|15041985|Nam|Phường Hồng Bàng, Thành phố Hải Phòng|10052021",
        "031085999901|Nguyễn Văn Thử|15041985|Nam|Phường Hồng Bàng, Thành phố Hải Phòng|10052021||||",
    ],
)
def test_six_field_layout_without_old_id_slot(payload):
    card = parse(payload)
    assert (card.id, card.old_id, card.name, card.dob, card.sex, card.issued) == (
        "031085999901",
        None,
        "Nguyễn Văn Thử",
        date(1985, 4, 15),
        "M",
        date(2021, 5, 10),
    )
    assert card.address == "Phường Hồng Bàng, Thành phố Hải Phòng"


@pytest.mark.parametrize(
    "dob,issued",
    [
        ("15/04/1985", "10/05/2021"),
        ("15-04-1985", "10-05-2021"),
        ("15.04.1985", "10.05.2021"),
        ("1985-04-15", "2021-05-10"),
        ("15/4/1985", "10/5/2021"),
    ],
)
def test_dates_with_separators(dob, issued):
    card = parse(V01.replace("15041985", dob).replace("10052021", issued))
    assert (card.dob, card.issued, card.warnings) == (date(1985, 4, 15), date(2021, 5, 10), [])


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: s + "\r\n",
        lambda s: s + "\n",
        lambda s: s + "\r",
        lambda s: "\t" + s + "\t",
        lambda s: "\ufeff" + s,
        lambda s: "\x00" + s + "\x00\x00",
        lambda s: "  \r\n" + s + "\r\n\r\n  ",
        lambda s: "\ufeff\x00\t " + s + " \t\x00\r\n",
        lambda s: s.replace("|Nam|", "|Nam\x00|"),
        lambda s: s.replace("Thử|", "Th\u200bử|"),
        lambda s: s.replace("Văn", "V\x07ăn"),
        lambda s: "]Q1" + s,  # AIM symbology identifier sent by some scanners
    ],
)
def test_wrapping_and_stray_control_characters(wrap):
    card = parse(wrap(V01))
    assert (card.id, card.name, card.sex, card.issued) == (
        "031085999901",
        "Nguyễn Văn Thử",
        "M",
        date(2021, 5, 10),
    )
    assert card.warnings == []


def test_nfd_input_becomes_nfc():
    card = parse(unicodedata.normalize("NFD", V01))
    assert card.name == "Nguyễn Văn Thử" and unicodedata.is_normalized("NFC", card.address)
    assert card.sex == "M" and card.warnings == []


def test_nfd_feminine_sex_field():
    card = parse(unicodedata.normalize("NFD", V05.replace("|Nam|", "|Nữ|").replace("031216", "031316")))
    assert card.sex == "F" and card.warnings == []


def test_fullwidth_digits_from_an_ime_in_full_width_mode():
    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    payload = V01.replace("15041985", "15041985".translate(fw))
    assert parse(payload).dob == date(1985, 4, 15)


def test_year_only_birth_date_is_accepted_with_a_warning():
    card = parse(V01.replace("15041985", "00001985"))
    assert card.dob == date(1985, 1, 1)
    assert any("năm sinh" in w for w in card.warnings)


def test_empty_issue_date_inside_a_complete_payload_gives_none_and_a_warning():
    card = parse(V03.replace("|15082024|", "||"))
    assert card.issued is None and any("ngày cấp" in w for w in card.warnings)
    assert card.to_json()["issued"] is None


def test_late_echo_on_a_second_line_is_dropped():
    assert parse(V03 + "\r\n15082024||||").id == "031060999903"
    assert parse(V01 + "\n" + V01).id == "031085999901"  # the same scan twice


def test_echo_glued_without_a_line_break_is_dropped():
    assert parse(V03 + "15082024||||").extra == []


def test_bytes_in_utf8_are_accepted():
    assert parse(V01.encode("utf-8")).name == "Nguyễn Văn Thử"  # type: ignore[arg-type]


def test_every_province_code_is_accepted_without_warning():
    assert len(PROVINCES) == 63 and {"030", "031"} <= set(PROVINCES)
    for code in PROVINCES:
        card = parse(code + V01[3:])
        assert card.warnings == [], code


# --- Mojibake ------------------------------------------------------------------------------------------


def test_latin1_mojibake_is_repaired():
    card = parse(V01.encode("utf-8").decode("latin-1"))
    assert (card.name, card.address) == ("Nguyễn Văn Thử", parse(V01).address)


def test_cp1252_mojibake_without_undefined_bytes_is_repaired():
    payload = "031216999905||Vũ Minh Thử|12062016|Nam|Thôn Mẫu, Hải Phòng|09092025||||"
    moji = payload.encode("utf-8").decode("cp1252")  # every byte here is defined in cp1252
    assert moji != payload
    card = parse(moji)
    assert (card.name, card.address) == ("Vũ Minh Thử", "Thôn Mẫu, Hải Phòng")


def test_cp1252_with_replacement_characters_is_lost_and_asks_for_a_rescan():
    # "ờ" is E1 BB 9D and 9D is undefined in cp1252: the data is gone (vietnam.md §1.3).
    lossy = V01.encode("utf-8").decode("cp1252", errors="replace")
    assert "\ufffd" in lossy
    assert error_of(lossy).code == "encoding"


def test_double_latin1_mojibake_is_repaired():
    twice = V01.encode("utf-8").decode("latin-1").encode("utf-8").decode("latin-1")
    assert parse(twice).name == "Nguyễn Văn Thử"


SJIS_PAYLOAD = "031060999903|999888703|Lê Văn Mẫu|01011960|Nam|Thôn Mẫu, Xã Bùi, Hải Phòng|15082024||||"


@pytest.mark.parametrize("codec", ["shift_jis", "cp932"])
def test_shift_jis_mojibake_is_repaired(codec):
    moji = SJIS_PAYLOAD.encode("utf-8").decode(codec)
    assert "蘯" in moji and "ﾃ" in moji  # the zbar artefact of pyzbar #14: "H蘯｣i Phﾃｲng"
    card = parse(moji)
    assert (card.name, card.address) == ("Lê Văn Mẫu", "Thôn Mẫu, Xã Bùi, Hải Phòng")


def test_big5_mojibake_is_repaired():
    payload = "031085999901||Bùi Lê Xã|15041985|Nam|Thôn, Hải Phòng|10052021"
    moji = payload.encode("utf-8").decode("big5")
    assert parse(moji).name == "Bùi Lê Xã"


def test_shift_jis_mojibake_that_swallowed_a_separator():
    # SJIS eats "|" as the trail byte of a two-byte character; repairing the whole text first restores it.
    payload = "031085999901||Phạm Thị|15041985|Nam|Hải Phòng|10052021"
    moji = payload.encode("utf-8").decode("cp932")
    assert moji.count("|") < payload.count("|")
    assert parse(moji).name == "Phạm Thị"


def test_unrepairable_cjk_is_an_encoding_error():
    assert error_of(V01.replace("Thử", "蘯｣")).code == "encoding"


def test_genuine_vietnamese_is_never_touched_by_the_repair():
    for text in ["Nguyễn Văn Thử", "Bà Rịa", "Hà", "Lê Thị Ánh", "ÂU CƠ", "Ông Ích Khiêm", "Ý Lan"]:
        assert repair_mojibake(text) == (text, False)


# --- Errors: not a CCCD payload --------------------------------------------------------------------------

ERRORS = [
    ("empty", "", "empty"),
    ("spaces", "   \t ", "empty"),
    ("crlf only", "\r\n", "empty"),
    ("nul only", "\x00\x00", "empty"),
    ("bom only", "\ufeff", "empty"),
    ("only separators", "||||||", "only_separators"),
    ("separators and spaces", " | | |\r\n", "only_separators"),
    ("V16 truncated", "031085999916|999888716|Lý Văn Cụ", "truncated"),
    ("truncated in address", V01.rsplit("|", 1)[0], "truncated"),
    ("truncated after address", V01.rsplit("|", 1)[0] + "|", "truncated"),
    ("truncated in issue date", V01[:-3], "truncated"),
    ("V17 late echo", "15082024||||", "echo"),
    ("echo with address tail", "Thành phố Hải Phòng|15082024||||", "echo"),
    ("echo of issue date", "10052021", "echo"),
    ("too few fields", "abc|def", "too_few_fields"),
    ("id only (barcode)", "031085999901", "id_only"),
    ("old CMND only", "999888701", "id_only"),
    ("id 11 digits", V01[1:], "bad_id"),
    ("id 13 digits", "0" + V01, "bad_id"),
    ("id 9 digits", V01.replace("031085999901", "999888701", 1), "bad_id"),
    ("id with letter O", "O" + V01[1:], "bad_id"),
    ("id with Arabic-Indic digits", "٠٣١٠٨٥٩٩٩٩٠١" + V01[12:], "bad_id"),
    ("no date of birth", "031085999901|999888701|Nguyễn Văn Thử|Nam|x|y|z", "layout"),
    ("31 February", V01.replace("15041985", "31021985"), "impossible_date"),
    ("29 Feb non-leap", V01.replace("15041985", "29021985"), "impossible_date"),
    ("month 13", V01.replace("15041985", "15131985"), "impossible_date"),
    ("year 1850", V01.replace("15041985", "15041850"), "impossible_date"),
    ("born in the future", V01.replace("15041985", "15042030"), "impossible_date"),
    ("issued before birth", V01.replace("10052021", "10051980"), "impossible_date"),
    ("impossible issue date", V01.replace("10052021", "32052021"), "impossible_date"),
    ("issue date not a date", V01.replace("10052021", "hôm qua"), "bad_date"),
    ("bad sex", V01.replace("|Nam|", "|X|"), "bad_sex"),
    ("no name", V01.replace("Nguyễn Văn Thử", ""), "no_name"),
    ("https URL", "https://vneid.gov.vn/xac-thuc?id=031085999901", "url"),
    ("http URL", "HTTP://example.com/a|b|c|d|e|f|g", "url"),
    ("www", "www.example.vn", "url"),
    ("zalo deep link", "zalo://qr/p/abc", "url"),
    (
        "VietQR bank transfer",
        "00020101021238570010A00000072701270006970436011399999999990208QRIBFTTA53037045802VN6304ABCD",
        "other_qr",
    ),
    ("wifi", "WIFI:T:WPA;S:TramYTe;P:khongphai;;", "other_qr"),
    ("vcard", "BEGIN:VCARD\nVERSION:3.0\nFN:Trạm Y tế\nEND:VCARD", "other_qr"),
    (
        "BHYT QR (10-digit BHXH, hex name, $)",
        "3199999901|4e677579e1bb856e205468e1bbad|15/04/1985|1|-|31 - 001|01/01/2026|-|31/12/2026|"
        "01503199999901|-|4|01/01/2031|0000000000000000-0000|4|54686f6e204de1baab75|$",
        "bhyt",
    ),
    ("BHYT card number alone", "DN4319999990001", "bhyt"),
    ("BHYT card number with spaces", "DN 4 31 9999990001", "bhyt"),
    ("BHXH number alone", "3199999901", "bhyt"),
    ("100 KB paste", V01 * 700, "too_long"),
    ("just over the limit", V01 + "|" + "x" * (MAX_PAYLOAD_CHARS - len(V01)), "too_long"),
    ("1 MB paste", "x" * 1_000_001, "too_long"),
    ("two different scans on two lines", V01 + "\r\n" + V03, "multiple"),
    ("two scans glued", V01 + V01, "multiple"),
    ("two 11-field scans glued", V03 + V05, "multiple"),
    ("lone surrogate", V01.replace("Thử", "Th\ud800"), "encoding"),
    ("invalid UTF-8 bytes", b"\xff\xfe031085999901", "encoding"),
    ("not text", None, "empty"),
]


@pytest.mark.parametrize("label,payload,code", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_class(label, payload, code):
    err = error_of(payload)
    assert err.code == code, (label, err.code, err.message)
    assert err.message and err.message == str(err)
    # The message is Vietnamese and never repeats the payload (which would put personal data in logs).
    assert any(ch in err.message for ch in "ạảãàáâăđêếệôơưữ")
    for secret in ("999901", "999888", "Nguyễn Văn Thử", "Lý Văn Cụ", "Hồng Bàng"):
        assert secret not in err.message


def test_every_strict_prefix_of_a_seven_field_payload_is_rejected():
    for n in range(len(V01)):
        with pytest.raises(InvalidCccdPayload):
            parse(V01[:n])


def test_prefixes_of_an_eleven_field_payload_are_rejected_or_lose_nothing():
    full = parse(V03).to_json()
    for n in range(len(V03)):
        try:
            card = parse(V03[:n])
        except InvalidCccdPayload:
            continue
        assert card.to_json() == full, n


def test_exactly_the_length_limit_is_still_parsed():
    padded = V03[:-4] + "|" + "x" * (MAX_PAYLOAD_CHARS - len(V03)) + "|||"
    assert len(padded) == MAX_PAYLOAD_CHARS
    assert parse(padded).extra


# --- Warnings: a person confirms ------------------------------------------------------------------------


def only_warning(payload: str, needle: str) -> None:
    card = parse(payload)
    assert len(card.warnings) == 1, card.warnings
    assert needle in card.warnings[0], card.warnings


def test_unknown_province_code_warns():
    only_warning("099" + V01[3:], "Mã tỉnh 099")


def test_century_digit_disagreeing_with_birth_year_warns():
    only_warning(V01.replace("031085", "031285", 1), "sinh từ năm 2000")


def test_sex_digit_disagreeing_with_sex_warns():
    only_warning(V01.replace("031085", "031185", 1), "giới tính")


def test_birth_year_digits_disagreeing_warns():
    only_warning(V01.replace("031085", "031086", 1), "năm sinh")


def test_child_born_after_2000_with_digit_2_or_3():
    assert parse(V05).warnings == []
    assert parse(V05.replace("031216", "031316").replace("|Nam|", "|Nữ|")).warnings == []


@pytest.mark.parametrize(
    "name,fragment",
    [
        ("DĐaăặng Hoôồng", "DĐ"),
        ("DĐoôỗ Văn An", "DĐ"),
        ("Nguyễn Thị Hoaà", "aà"),
        ("Nguyeenx Văn An", "ee"),
        ("Ddỗ Văn An", "Dd"),
    ],
)
def test_input_method_artefacts_in_the_name_warn(name, fragment):
    card = parse(V01.replace("Nguyễn Văn Thử", name))
    assert card.name == name  # kept as scanned; the UI offers the collapsed suggestion
    assert any("bộ gõ" in w and fragment in w for w in card.warnings), card.warnings


def test_vni_digits_in_the_name_warn():
    card = parse(V01.replace("Nguyễn Văn Thử", "Nguye6n Va8n Thu73"))
    assert any("VNI" in w for w in card.warnings)


def test_question_marks_in_the_name_warn():
    assert any("«?»" in w for w in parse(V01.replace("Thử", "Th?")).warnings)


def test_caps_lock_inverted_name_warns():
    assert any("Caps Lock" in w for w in parse(V01.replace("Nguyễn Văn Thử", "nGUYỄN vĂN tHỬ")).warnings)


@pytest.mark.parametrize(
    "name",
    [
        "Lưu Thị Khưu",
        "Nguyễn Cửu Hưu",
        "Trương Quốc Ưu",
        "Hoàng Oanh",
        "Đặng Hồng",
        "Nguyễn Thị Ngoãn",
        "NGUYỄN VĂN THỬ",
        "Lê A",
    ],
)
def test_ordinary_names_do_not_warn(name):
    assert parse(V01.replace("Nguyễn Văn Thử", name)).warnings == []


def test_collapse_suggestion_for_ime_artefacts():
    assert collapse_ime_artefacts("DĐaăặng Hoôồng") == "Đặng Hồng"
    assert collapse_ime_artefacts("DĐoôỗ") == "Đỗ"
    assert collapse_ime_artefacts("Lưu Khưu") == "Lưu Khưu"
    assert ime_artefacts("Lưu Thị Khưu") == []


def test_alternative_separator_from_a_wrong_keyboard_layout_warns():
    for sep in ("~", "\\", "¦", "｜"):
        card = parse(V01.replace("|", sep))
        assert card.name == "Nguyễn Văn Thử"
        assert len(card.warnings) == 1 and sep in card.warnings[0]


def test_future_issue_date_warns():
    only_warning(V01.replace("10052021", "10052027"), "đồng hồ")


def test_malformed_old_id_warns():
    only_warning(V01.replace("999888701", "99988870"), "CMND")


def test_twelve_digit_old_id_is_accepted():
    assert parse(V01.replace("999888701", "031085999901")).old_id == "031085999901"


def test_ime_artefacts_in_sex_field_are_tolerated():
    assert parse(V01.replace("|Nam|", "|NAM|")).sex == "M"
    assert parse(V05.replace("031216", "031316").replace("|Nam|", "|Nuữ|")).sex == "F"


# --- The personal-ID structure --------------------------------------------------------------------------


def test_split_id():
    pid = split_id("031085999901")
    assert (pid.province_code, pid.province, pid.century_sex_digit, pid.year_digits, pid.serial) == (
        "031",
        "Hải Phòng",
        0,
        "85",
        "999901",
    )
    assert (pid.century_start, pid.sex) == (1900, "M")
    with pytest.raises(ValueError):
        split_id("03108599990")


@pytest.mark.parametrize(
    "dob,sex,digit",
    [
        (date(1900, 1, 1), "M", 0),
        (date(1999, 12, 31), "F", 1),
        (date(2000, 1, 1), "M", 2),
        (date(2099, 1, 1), "F", 3),
        (date(2100, 1, 1), "M", 4),
        (date(2200, 1, 1), "F", 7),
    ],
)
def test_century_sex_digit(dob, sex, digit):
    assert century_sex_digit(dob, sex) == digit


def test_consistency_warnings_are_empty_for_a_consistent_id():
    assert consistency_warnings("030195999904", date(1995, 12, 30), "F") == []
    assert len(consistency_warnings("999395999904", date(1995, 12, 30), "M")) == 3  # province, century, sex
