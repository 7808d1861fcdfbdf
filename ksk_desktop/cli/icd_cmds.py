"""``ksk icd search|show|import``: the ICD-10 catalogue with Vietnamese names.

``search`` and ``show`` need no login (the catalogue is public reference data) but use the station's imported
list when the data folder has one; ``import`` needs an account that may change settings and is audited.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, paths_of, session_command
from ksk_desktop.station.session import StationSession


def _data_dir(args: argparse.Namespace) -> Path:
    return paths_of(args).root


def _search(args: argparse.Namespace) -> int:
    from ksk_desktop.catalogs import icd10

    rows = icd10.search(args.query, limit=args.limit, data_dir=_data_dir(args))
    emit(args, rows, "\n".join(icd10.display(r) for r in rows) if rows else "Không tìm thấy mã ICD-10 nào.")
    return 0


def _show(args: argparse.Namespace) -> int:
    from ksk_desktop.catalogs import icd10

    entry = icd10.require(args.code, data_dir=_data_dir(args))
    emit(args, entry, icd10.display(entry))
    return 0


def _import(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.catalogs.icd10_import import import_icd_list

    result = import_icd_list(ctx, Path(args.file))
    human = (
        f"Đã nhập {result.imported} mã ICD-10 từ {result.file}"
        + (f" (trang {result.sheet})" if result.sheet else "")
        + f"; bỏ qua {result.skipped} dòng; danh mục hiện có {result.total} mã."
    )
    emit(args, result.to_json(), human)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "icd", parents=[common], help="danh mục ICD-10 tiếng Việt: tìm, xem, nhập danh mục Bộ Y tế"
    )
    icd = p.add_subparsers(dest="icd_command", metavar="LỆNH")
    icd.required = True

    s = icd.add_parser("search", parents=[common], help="tìm theo mã hoặc tên bệnh (gõ không dấu được)")
    s.add_argument("query", metavar="TỪ_KHÓA")
    s.add_argument("--limit", type=int, default=20, help="số kết quả tối đa (mặc định 20)")
    s.set_defaults(handler=_search)

    sh = icd.add_parser("show", parents=[common], help="xem một mã (có hoặc không có dấu †/*)")
    sh.add_argument("code", metavar="MÃ")
    sh.set_defaults(handler=_show)

    im = icd.add_parser(
        "import",
        parents=[common],
        help="nhập danh mục ICD-10 đầy đủ (.xlsx/.csv, ví dụ trang dmicdme của mẫu KSK Bộ Y tế)",
    )
    im.add_argument("file", metavar="TỆP")
    im.set_defaults(handler=session_command(_import))
