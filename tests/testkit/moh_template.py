"""A synthetic copy of the Ministry's KSK template ``Import_KSK_Tren 18.xlsm`` for tests and benchmarks.

We have no real copy of the template, so this builds one as faithfully as the public record allows
(``shared/domain/vietnam.md`` §2.2, the Thủy Nguyên team's SPEC §5): 103 columns A…CY on a sheet "Trên 18", row 1
the labels, row 2 the field codes, row 3 the instructions, data from row 4; the hidden columns M (province id)
and O (``MAHUYEN``, the commune code) have no code in row 2, nor does column CV (para-clinical pointer); 17 data
validations; the hidden catalogue sheets ``dmicdme``, ``dmtinh``, ``dmkhac``, ``dmhuyen``; a "Hướng dẫn" sheet
first in the workbook (the portal skips it); two sample rows with a lookup formula and no cached value; and a
``vbaProject.bin`` part (a small dummy binary, enough to check that the macros survive).

The XML is written by hand here, not with openpyxl: the tests read the export back with openpyxl and calamine,
so the template must not come from the same library as either reader.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ksk_desktop.xlsx.writer import column_letter as letter

#: The 103 columns in the template's order; None where row 2 has no code (M, O, CV).
MOH_COLUMNS: list[str | None] = [
    "TT", "MA_CSKCB", "MA_GTIN_CSKCB", "NGAY_VAO", "HO_TEN", "GIOI_TINH", "NGAY_SINH", "MA_DAN_TOC", "SO_CCCD",
    "NGAYCAP_CCCD", "NOICAP_CCCD", "MATINH_CU_TRU", None, "MAXA_CU_TRU", None, "DIA_CHI", "MA_NGHE_NGHIEP",
    "NHOM_MAU", "DOI_TUONG", "NGUON_CHI_TRA", "NOI_LAM_VIEC_HOC_TAP", "DIEN_THOAI", "LY_DO_VV", "MA_LOAI_KCB",
    "TSGD_MAC_BENH", "TSGD_MA_BENH", "TSBT_BENH_TRONG_5_NAM_QUA", "TSBT_BENH_THAN_KINH", "TSBT_BENH_MAT",
    "TSBT_BENH_TAI", "TSBT_BENH_TIM", "TSBT_PHAU_THUAT_TIM", "TSBT_TANG_HUYET_AP", "TSBT_KHO_THO",
    "TSBT_BENH_PHOI", "TSBT_BENH_THAN", "TSBT_NGHIEN_RUOU", "TSBT_DAI_THAO_DUONG", "TSBT_BENH_TAM_THAN",
    "TSBT_MAT_Y_THUC", "TSBT_NGAT", "TSBT_BENH_TIEU_HOA", "TSBT_ROI_LOAN_GIAC_NGU", "TSBT_TAI_BIEN",
    "TSBT_BENH_COT_SONG", "TSBT_RUOU_THUONG_XUYEN", "TSBT_MA_TUY", "TSBT_BENH_KHAC", "TSBT_MA_BENH_KHAC",
    "TSBT_DANG_DIEU_TRI_BENH", "TSBT_MA_BENH", "TSBT_TEN_THUOC_LIEU_LUONG", "TSBT_THAI_SAN",
    "TSBT_MA_BENH_THAI_SAN", "TSBT_TEN_THUOC_THAI_SAN", "CHIEU_CAO", "CAN_NANG", "CHI_SO_BMI", "MACH", "HUYET_AP",
    "KHAM_THE_LUC_PL", "NOI_KHOA_TUAN_HOAN", "NOI_KHOA_TUAN_HOAN_PL", "NOI_KHOA_HO_HAP", "NOI_KHOA_HO_HAP_PL",
    "NOI_KHOA_TIEU_HOA", "NOI_KHOA_TIEU_HOA_PL", "NOI_KHOA_THAN_TN_SD", "NOI_KHOA_THAN_TIETNIEU_PL",
    "NOI_KHOA_NOI_TIET", "NOI_KHOA_NOI_TIET_PL", "NOI_KHOA_CO_XUONG_KHOP", "NOI_KHOA_CO_XUONG_KHOP_PL",
    "NOI_KHOA_THAN_KINH", "NOI_KHOA_THAN_KINH_PL", "NOI_KHOA_TAM_THAN", "NOI_KHOA_TAM_THAN_PL",
    "KET_QUA_KHAM_NGOAI_KHOA", "KHAM_NGOAI_KHOA_PL", "KET_QUA_KHAM_DA_LIEU", "KHAM_DA_LIEU_PL",
    "KET_QUA_KHAM_SAN_PHU_KHOA", "KHAM_SAN_PHU_KHOA_PL", "KHONG_KINH_MAT_PHAI", "KHONG_KINH_MAT_TRAI",
    "CO_KINH_MAT_PHAI", "CO_KINH_MAT_TRAI", "BENH_KHAC_MAT", "KHAM_MAT_PL", "TAI_TRAI_NOI_THUONG",
    "TAI_TRAI_NOI_THAM", "TAI_PHAI_NOI_THUONG", "TAI_PHAI_NOI_THAM", "BENH_KHAC_TAI_MUI_HONG",
    "KHAM_TAI_MUI_HONG_PL", "HAM_TREN", "HAM_DUOI", "BENH_KHAC_RANG_HAM_MAT", "KHAM_RANG_HAM_MAT_PL", None,
    "PHAN_LOAI_SK", "KET_LUAN_BENH", "CAC_BENH_TAT_NEU_CO",
]  # fmt: skip
assert len(MOH_COLUMNS) == 103

#: dmicdme: code (with its dagger mark where it has one) and the official wording, deliberately different from
#: the app's bundled list for some codes, so that a test can tell where a name came from.
DMICDME = [
    ("I10", "Bệnh lý tăng huyết áp nguyên phát (theo danh mục Bộ)"),
    ("E11", "Bệnh đái tháo đường không phụ thuộc insuline"),
    ("E11.4†", "Bệnh đái tháo đường không phụ thuộc insuline, có biến chứng thần kinh"),
    ("E78.5", "Tăng lipid máu, không đặc hiệu"),
    ("J44.9", "Bệnh phổi tắc nghẽn mạn tính, không đặc hiệu"),
    ("K76.0", "Thoái hóa mỡ gan, không phân loại nơi khác"),
    ("M17.9", "Thoái hóa khớp gối, không đặc hiệu"),
    ("Z00.0", "Khám sức khỏe tổng quát"),
    ("Z82.4", "Tiền sử gia đình có bệnh tim thiếu máu cục bộ và bệnh khác của hệ tuần hoàn"),
    ("O24.4", "Đái tháo đường khởi phát trong thời kỳ có thai"),
]
DMTINH = [("Thành phố Hà Nội", "01"), ("Thành phố Hải Phòng", "31"), ("Tỉnh Quảng Ninh", "22")]
SEXES = ["Nam", "Nữ", "Chưa xác định"]
VISION = [f"{n}/10" for n in range(11)]
VBA_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8 + b"KSK-TEST-VBA-PROJECT"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class _Strings:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(text)
        return self.index[text]

    def xml(self) -> str:
        body = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in self.items)
        return f'{_HEAD}<sst xmlns="{_MAIN}" count="{len(self.items)}" uniqueCount="{len(self.items)}">{body}</sst>'


def _cell(ref: str, value: object, sst: _Strings, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    return f'<c r="{ref}"{s} t="s"><v>{sst(str(value))}</v></c>'


def _sheet(
    rows: list[list[object]], sst: _Strings, extra: str = "", cols: str = "", dim: str | None = None
) -> str:
    body = []
    for r, row in enumerate(rows, 1):
        cells = "".join(_cell(f"{letter(c)}{r}", v, sst) for c, v in enumerate(row, 1))
        body.append(f'<row r="{r}">{cells}</row>')
    width = max((len(r) for r in rows), default=1)
    ref = dim or f"A1:{letter(width)}{max(len(rows), 1)}"
    return (
        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{ref}"/>{cols}'
        f"<sheetData>{''.join(body)}</sheetData>{extra}</worksheet>"
    )


def _validations(where: dict[str, str]) -> str:
    """The template's 17 validations: lists from the catalogue sheets, 0/1 switches, classes 1–5."""
    lists = [
        ("GIOI_TINH", "dmkhac!$AL$2:$AL$4"),
        ("MATINH_CU_TRU", f"dmtinh!$A$2:$A${len(DMTINH) + 1}"),
        ("NHOM_MAU", '"A,B,AB,O"'),
        ("TSGD_MAC_BENH", '"0,1"'),
        ("TSBT_BENH_KHAC", '"0,1"'),
        ("TSBT_MA_BENH_KHAC", '"0, 1"'),  # as in the Ministry's file, against its own instruction row
        ("TSGD_MA_BENH", f"dmicdme!$B$2:$B${len(DMICDME) + 1}"),
        ("TSBT_MA_BENH_THAI_SAN", f"dmicdme!$B$2:$B${len(DMICDME) + 1}"),
        ("KHONG_KINH_MAT_PHAI", "dmkhac!$BF$2:$BF$12"),
        ("KHONG_KINH_MAT_TRAI", "dmkhac!$BF$2:$BF$12"),
        ("CO_KINH_MAT_PHAI", "dmkhac!$BF$2:$BF$12"),
        ("CO_KINH_MAT_TRAI", "dmkhac!$BF$2:$BF$12"),
    ]
    wholes = [
        "KHAM_THE_LUC_PL",
        "KHAM_MAT_PL",
        "KHAM_TAI_MUI_HONG_PL",
        "KHAM_RANG_HAM_MAT_PL",
        "PHAN_LOAI_SK",
    ]
    out = []
    for code, formula in lists:
        out.append(
            f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" sqref="{where[code]}">'
            f"<formula1>{escape(formula)}</formula1></dataValidation>"
        )
    for code in wholes:
        out.append(
            f'<dataValidation type="whole" allowBlank="1" showErrorMessage="1" sqref="{where[code]}">'
            "<formula1>1</formula1><formula2>5</formula2></dataValidation>"
        )
    assert len(out) == 17
    return f'<dataValidations count="{len(out)}">{"".join(out)}</dataValidations>'


def _filler_codes():  # noqa: ANN202 - a generator of codes
    for suffix in ["", *(f".{k}" for k in range(10)), *(f".{k:02d}" for k in range(100))]:
        for first in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            for nn in range(100):
                yield f"{first}{nn:02d}{suffix}"


def make_template(
    path: Path,
    *,
    shuffle_seed: int | None = None,
    mahuyen_code: bool = False,
    unknown_code: str | None = None,
    with_vba: bool = True,
    sample_rows: int = 2,
    catalogue_rows: int = 0,
    commune_column: bool = True,
) -> Path:
    """Write the synthetic template to *path* (.xlsm). *shuffle_seed* reorders the coded columns (the hidden
    columns keep their place right after the province and commune columns); *mahuyen_code* writes ``MAHUYEN`` in
    row 2 over the hidden commune column; *unknown_code* puts a code the app does not know over column CV;
    *catalogue_rows* pads ``dmicdme`` with synthetic codes to that size (the Ministry's has 35,735 rows);
    ``commune_column=False`` leaves out the hidden commune column (a damaged copy: ``DIA_CHI`` follows
    ``MAXA_CU_TRU``)."""
    columns = list(MOH_COLUMNS)
    if not commune_column:
        del columns[14]
    if unknown_code:
        columns[99] = unknown_code
    if shuffle_seed is not None:
        # Shuffle whole blocks so that each hidden column stays right after its visible one.
        blocks: list[list[str | None]] = []
        i = 0
        while i < len(columns):
            if (
                i + 1 < len(columns)
                and columns[i + 1] is None
                and columns[i] in ("MATINH_CU_TRU", "MAXA_CU_TRU")
            ):
                blocks.append(columns[i : i + 2])
                i += 2
            else:
                blocks.append([columns[i]])
                i += 1
        first, rest = blocks[0], blocks[1:]
        random.Random(shuffle_seed).shuffle(rest)
        columns = [c for b in [first, *rest] for c in b]
    hidden = {i + 2 for i, c in enumerate(columns) if c in ("MATINH_CU_TRU", "MAXA_CU_TRU")}
    if mahuyen_code:
        columns[columns.index("MAXA_CU_TRU") + 1] = "MAHUYEN"
    where = {c: f"{letter(i)}4:{letter(i)}5000" for i, c in enumerate(columns, 1) if c}
    sst = _Strings()

    labels = [("Số thứ tự" if c == "TT" else (c or "").replace("_", " ").title()) for c in columns]
    instructions = [
        "Nhập tên bệnh theo mã ICD-10" if c and ("MA_BENH" in c or c == "KET_LUAN_BENH") else None
        for c in columns
    ]
    last = letter(len(columns))
    head_rows = [labels, columns, instructions]
    rows_xml = []
    for r, row in enumerate(head_rows, 1):
        cells = "".join(_cell(f"{letter(c)}{r}", v, sst, 2 if r < 3 else None) for c, v in enumerate(row, 1))
        rows_xml.append(f'<row r="{r}">{cells}</row>')
    col_of = {c: i for i, c in enumerate(columns, 1) if c}
    province_col = col_of["MATINH_CU_TRU"]
    for n in range(sample_rows):  # the Ministry's example rows, with the lookup formula and no cached value
        r = 4 + n
        cells = [
            _cell(f"A{r}", n + 1, sst),
            _cell(f"{letter(col_of['HO_TEN'])}{r}", "NGUYỄN VĂN MẪU", sst),
            f'<c r="{letter(province_col + 1)}{r}"><f>INDEX(dmtinh!$A:$B,MATCH({letter(province_col)}{r},'
            "dmtinh!$A:$A,0),2)</f></c>",
        ]
        rows_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{4 if i in hidden else 16}" customWidth="1"'
        f"{' hidden=' + quoteattr('1') if i in hidden else ''}/>"
        for i in range(1, len(columns) + 1)
    )
    main_sheet = (
        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac">'
        f'<sheetPr codeName="Sheet1"/><dimension ref="A1:{last}{3 + sample_rows}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane xSplit="5" ySplit="3" topLeftCell="F4" '
        'activePane="bottomRight" state="frozen"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols>{cols}</cols>'
        f"<sheetData>{''.join(rows_xml)}</sheetData>{_validations(where)}"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    )
    guide = _sheet([["Hướng dẫn nhập liệu"], ["Dữ liệu bắt đầu từ dòng 4; dòng 2 là mã trường."]], sst)
    icd_rows = [list(r) for r in DMICDME]
    known = {c for c, _ in DMICDME}
    for code in _filler_codes():
        if len(icd_rows) >= catalogue_rows:
            break
        if code not in known:
            icd_rows.append([code, f"Bệnh mã {code} (mục tổng hợp)"])
    icd = _sheet([["MA_ICD", "TEN_ICD"], *icd_rows], sst)
    tinh = _sheet([["TEN_TINH", "MA_TINH"], *[list(r) for r in DMTINH]], sst)
    khac_rows: list[list[object]] = [[None] * 58 for _ in range(12)]
    for i, sex in enumerate(SEXES, 1):
        khac_rows[i][37] = sex  # AL
    for i, v in enumerate(VISION, 1):
        khac_rows[i][57] = v  # BF
    khac_rows[0][37], khac_rows[0][57] = "GioiTinh", "DM_KQmat"
    khac = _sheet(khac_rows, sst)
    huyen = _sheet(
        [
            ["MATINH", "TENXA", "KHOA", "HUYEN_ID", "MAHUYEN"],
            ["31", "Phường Thành Đông", "31Phường Thành Đông", 12327, "10507"],
        ],
        sst,
    )
    cls = _sheet([["TT", "HO_TEN", "SO_CCCD", "MA_CHI_SO"], [None, "HO_TEN", "SO_CCCD", "MA_CHI_SO"]], sst)

    sheets = [
        ("Hướng dẫn", guide, None),
        ("Trên 18", main_sheet, None),
        ("dmicdme", icd, "hidden"),
        ("dmtinh", tinh, "hidden"),
        ("dmkhac", khac, "hidden"),
        ("dmhuyen", huyen, "hidden"),
        ("DM_CanLamSang", cls, None),
    ]
    ct_main = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if with_vba
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    content_types = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct_main}"/>{overrides}'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/calcChain.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>'
        "</Types>"
    )
    sheet_tags = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{i}"{f" state={quoteattr(state)}" if state else ""} r:id="rId{i}"/>'
        for i, (name, _, state) in enumerate(sheets, 1)
    )
    workbook = (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr codeName="ThisWorkbook"/>'
        f'<bookViews><workbookView activeTab="1"/></bookViews><sheets>{sheet_tags}</sheets>'
        f'<definedNames><definedName name="DM_ICD">dmicdme!$B$2:$B${len(DMICDME) + 1}</definedName></definedNames>'
        "</workbook>"
    )
    n = len(sheets)
    rels = [
        *((f"rId{i}", f"{_REL}/worksheet", f"worksheets/sheet{i}.xml") for i in range(1, n + 1)),
        (f"rId{n + 1}", f"{_REL}/styles", "styles.xml"),
        (f"rId{n + 2}", f"{_REL}/sharedStrings", "sharedStrings.xml"),
        (f"rId{n + 4}", f"{_REL}/calcChain", "calcChain.xml"),
    ]
    if with_vba:
        rels.append(
            (
                f"rId{n + 3}",
                "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                "vbaProject.bin",
            )
        )
    wb_rels = (
        f'{_HEAD}<Relationships xmlns="{_PKG}">'
        + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in rels)
        + "</Relationships>"
    )
    styles = (
        f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="2"><font><sz val="11"/><name val="Times New Roman"/></font>'
        '<font><b/><sz val="11"/><name val="Times New Roman"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr(
            "_rels/.rels",
            f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        for i, (_, xml, _) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        z.writestr("xl/styles.xml", styles)
        z.writestr("xl/sharedStrings.xml", sst.xml())
        # Excel's list of the formulas to recalculate: the example rows' lookups.
        chain = "".join(f'<c r="{letter(province_col + 1)}{4 + n}" i="2"/>' for n in range(sample_rows))
        z.writestr("xl/calcChain.xml", f'{_HEAD}<calcChain xmlns="{_MAIN}">{chain}</calcChain>')
        if with_vba:
            z.writestr("xl/vbaProject.bin", VBA_BYTES)
    return path
