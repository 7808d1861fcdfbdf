"""``ksk catalog list|import``: the Ministry's short code lists of the QĐ 1551 data set (ethnic groups, occupations)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, paths_of, session_command
from ksk_desktop.station.session import StationSession

_NAMES = ("ethnicity", "occupation")


def _list(args: argparse.Namespace) -> int:
    from ksk_desktop.catalogs import codelists

    cl = codelists.code_list(args.list, paths_of(args).root)
    rows = [{"code": c, "name": n} for c, n in cl.entries.items()]
    emit(
        args,
        {"list": args.list, "source": cl.source, "entries": rows},
        "\n".join(f"{c}  {n}" for c, n in cl.entries.items()),
    )
    return 0


def _import(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.catalogs import codelists

    result = codelists.import_list(ctx, args.list, Path(args.file))
    emit(
        args, result, f"Đã nhập {result['imported']} mã từ {result['file']}; bỏ qua {result['skipped']} dòng."
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "catalog", parents=[common], help="danh mục mã của Bộ Y tế cho dữ liệu QĐ 1551 (dân tộc, nghề nghiệp)"
    )
    grp = p.add_subparsers(dest="catalog_cmd", metavar="LỆNH")
    grp.required = True
    s = grp.add_parser(
        "list", parents=[common], help="xem danh mục (của trạm nếu đã nhập, không thì danh mục kèm theo)"
    )
    s.add_argument("list", choices=_NAMES)
    s.set_defaults(handler=_list)
    s = grp.add_parser("import", parents=[common], help="nhập danh mục đầy đủ (.xlsx/.csv có cột Mã và Tên)")
    s.add_argument("list", choices=_NAMES)
    s.add_argument("file", metavar="TỆP")
    s.set_defaults(handler=session_command(_import))
