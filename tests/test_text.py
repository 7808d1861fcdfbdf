from hypothesis import given
from hypothesis import strategies as st

from ksk_desktop.text import collation_key, fold, nfc, sort_key

VIETNAMESE = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"


def test_fold_examples():
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert fold("ĐẶNG Thị Lưu") == "dang thi luu"
    assert fold("  Hà   Nội ") == "ha noi"
    # NFD input (macOS, some web pages) folds the same as NFC
    import unicodedata

    assert fold(unicodedata.normalize("NFD", "Nguyễn Thị Ánh")) == "nguyen thi anh"


def test_nfc_collapses_and_composes():
    import unicodedata

    assert nfc(unicodedata.normalize("NFD", " Trần  Thị ")) == "Trần Thị"


def test_vietnamese_collation():
    given = ["Đạt", "Ân", "Bình", "Anh", "Dũng", "An", "Ánh", "Ư", "U", "Uyên", "Ơn", "Ôn", "On"]
    assert sorted(given, key=collation_key) == [
        "An",
        "Anh",
        "Ánh",
        "Ân",
        "Bình",
        "Dũng",
        "Đạt",
        "On",
        "Ôn",
        "Ơn",
        "U",
        "Uyên",
        "Ư",
    ]


def test_sort_key_puts_given_name_first():
    names = ["Trần Văn Đạt", "Nguyễn Văn Dũng", "Lê Thị An", "Bùi Anh", "Đỗ An"]
    assert sorted(names, key=sort_key) == ["Đỗ An", "Lê Thị An", "Bùi Anh", "Nguyễn Văn Dũng", "Trần Văn Đạt"]


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ", max_size=40))
def test_fold_is_idempotent_and_ascii(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded.isascii()


@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(VIETNAMESE + " \t\n\r\x0b\x0c\xa0\u2003\u3000\u200b\u0301"), st.characters()
        ),
        max_size=30,
    )
)
def test_nfc_fast_path_equals_the_full_normalisation(text):
    import unicodedata

    assert nfc(text) == " ".join(unicodedata.normalize("NFC", text).split())
