"""What a filed report says, in order — title, unit, period, the tables, the footnotes, the place and date — laid
out once for both the .xlsx and the PDF (``report_xlsx``, ``report_pdf``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ksk_desktop.reports import funding

PLACE = "Hải Phòng"


@dataclass
class TableSpec:
    heading: str
    columns: list[str]
    rows: list[list[object]]  # the last row is the total when ``total_row``
    total_row: bool = True
    widths: list[float] = field(default_factory=list)  # relative widths, first column takes the rest


@dataclass
class Layout:
    title: str
    subtitle: str
    unit: str
    period: str
    tables: list[TableSpec]
    footnotes: list[str]
    place_date: str
    file_title: str


def number(value: object) -> str:
    """How a figure reads on a filed report: ``12345`` → ``12.345``, a rate ``87.5`` → ``87,5``, None → ``—``."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return str(value)


def dmy(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def place_date(day: date) -> str:
    """``"Hải Phòng, ngày 05 tháng 3 năm 2026"`` (the administrative style: months 1 and 2 with two digits)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{PLACE}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _unit(report: dict) -> str:
    commune = report.get("commune_name") or report["commune_code"]
    return f"Đơn vị báo cáo: {report['station_name']} ({report['station_code']}) — {commune} (mã {report['commune_code']})"


def _group_rows(report: dict, keys: tuple[str, ...]) -> list[list[object]]:
    rows: list[list[object]] = [[r["group"], r["label"], *(r[k] for k in keys)] for r in report["groups"]]
    rows.append(["", "Tổng cộng", *(report["total"].get(k) for k in keys)])
    return rows


def _funding_table(report: dict, which: str, heading: str) -> TableSpec:
    labels = [label for _k, label in funding.SOURCES]
    rows: list[list[object]] = [
        [r["group"], r["label"], *(r[which][k] for k in funding.KEYS)] for r in report["groups"]
    ]
    rows.append(["", "Tổng cộng", *(report["total"][which][k] for k in funding.KEYS)])
    return TableSpec(heading, ["Nhóm", "Đối tượng", *labels], rows, widths=[0.05, 0.29] + [0.11] * 6)


def _priority_table(report: dict) -> TableSpec:
    keys = ("managed", "examined_month", "examined_ytd", "rate")
    rows: list[list[object]] = [
        [i, r["label"], *(r[k] for k in keys)] for i, r in enumerate(report["priority"], start=1)
    ]
    return TableSpec(
        "II. Nhóm ưu tiên thuộc nhóm a",
        [
            "STT",
            "Nhóm ưu tiên",
            "Số đối tượng quản lý",
            "Đã khám trong tháng",
            "Lũy kế từ đầu năm",
            "Tỷ lệ (%)",
        ],
        rows,
        total_row=False,
        widths=[0.05, 0.45, 0.125, 0.125, 0.125, 0.125],
    )


def _extra_notes(report: dict) -> list[str]:
    notes = []
    if report.get("partial"):
        notes.append(f"Kỳ báo cáo chưa kết thúc: số liệu tính đến hết ngày {dmy(report['as_of'])}.")
    if report["not_resident"]:
        notes.append(
            f"{report['not_resident']} người trong danh sách có mã xã khác (đã chuyển đi): không tính."
        )
    if report["no_recorded_group"] or report["reclassified"]:
        notes.append(
            f"{report['no_recorded_group']} người chưa ghi nhóm và {report['reclassified']} người có nhóm đã ghi khác "
            "nhóm theo định nghĩa của Kế hoạch được xếp theo định nghĩa đó."
        )
    dv = report["data_version"]
    notes.append(
        f"Phiên bản dữ liệu: {dv['people']} hồ sơ, {dv['signed_exam_versions']} phiếu khám đã ký; mã kiểm tra "
        f"{dv['digest'][:16]}."
    )
    return notes


SUBTITLE = "(Theo Kế hoạch khám sức khỏe định kỳ hoặc khám sàng lọc miễn phí cho người dân thành phố Hải Phòng, Phụ lục II)"


def _filed(report: dict, made_on: date, title: str, tables: list[TableSpec], file_title: str) -> Layout:
    """What every filed report has around its tables."""
    return Layout(
        title=title,
        subtitle=SUBTITLE,
        unit=_unit(report),
        period=f"Kỳ báo cáo: từ ngày {dmy(report['period_start'])} đến hết ngày {dmy(report['as_of'])}",
        tables=tables,
        footnotes=[*report["definitions"], *_extra_notes(report)],
        place_date=place_date(made_on),
        file_title=file_title,
    )


def monthly(report: dict, made_on: date) -> Layout:
    first = date.fromisoformat(report["period_start"])
    keys = ("managed", "examined_month", "examined_ytd", "rate", "next_year_need")
    main = TableSpec(
        "I. Kết quả theo nhóm đối tượng",
        [
            "Nhóm",
            "Đối tượng",
            "Số đối tượng quản lý",
            "Đã khám trong tháng",
            "Lũy kế từ đầu năm",
            "Tỷ lệ (%)",
            f"Nhu cầu khám năm {report['need_year']}",
        ],
        _group_rows(report, keys),
        widths=[0.05, 0.45, 0.1, 0.1, 0.1, 0.1, 0.1],
    )
    return _filed(
        report,
        made_on,
        f"BÁO CÁO SỐ LIỆU KHÁM SỨC KHỎE ĐỊNH KỲ THÁNG {first.month:02d} NĂM {first.year}",
        [
            main,
            _priority_table(report),
            _funding_table(report, "funding_month", "III. Số người đã khám trong tháng theo nguồn kinh phí"),
        ],
        f"Báo cáo KSK tháng {first.month:02d}/{first.year}",
    )


def annual(report: dict, made_on: date) -> Layout:
    keys = ("managed", "examined_ytd", "rate", "next_year_need", "unit_price", "cost")
    main = TableSpec(
        "I. Kết quả năm và nhu cầu năm sau theo nhóm đối tượng",
        [
            "Nhóm",
            "Đối tượng",
            "Số đối tượng quản lý",
            "Đã khám lũy kế",
            "Tỷ lệ (%)",
            f"Nhu cầu khám năm {report['need_year']}",
            "Đơn giá (đồng)",
            "Dự toán kinh phí (đồng)",
        ],
        _group_rows(report, keys),
        widths=[0.05, 0.37, 0.09, 0.09, 0.08, 0.1, 0.1, 0.12],
    )
    main.rows[-1][6] = ""  # no unit price for the total
    return _filed(
        report,
        made_on,
        f"BÁO CÁO KẾT QUẢ KHÁM SỨC KHỎE NĂM {report['year']} VÀ DỰ TOÁN NĂM {report['need_year']}",
        [main, _funding_table(report, "funding_ytd", "II. Số người đã khám trong năm theo nguồn kinh phí")],
        f"Báo cáo KSK năm {report['year']}",
    )


def of(report: dict, made_on: date) -> Layout:
    return annual(report, made_on) if report["kind"] == "annual" else monthly(report, made_on)
