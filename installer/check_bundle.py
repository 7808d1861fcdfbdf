"""Check a built bundle folder (``DIR/ksk-desktop``) without running it: size, the files the app loads at run
time, the Qt modules left out, and that no file in it needs a library installer/bundle_filter.py dropped.

    python3 installer/check_bundle.py DIR/ksk-desktop [--max-mb 250]

Prints one line per check and the bundle's size; exits 1 if any check fails. Standard library only, plus
``readelf`` (binutils) on Linux for the library check.
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundle_filter import DROPPED_LIBS  # noqa: E402

# What the app loads at run time, relative to _internal/ (Linux names; * for versioned files).
REQUIRED = (
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/multimedia/*",
    "PySide6/QtMultimedia.*",
    "PySide6/QtSerialPort.*",
    "PySide6/QtPrintSupport.*",
    "PySide6/QtSvg.*",
    "PySide6/QtPdf.*",
    "sqlcipher3/_sqlite3*",
    "resources/fonts/NotoSans-Regular.ttf",
    "resources/fonts/JetBrainsMono-Regular.ttf",
    "resources/translations/qtbase_vi.qm",
    "PySide6/QtCharts.*",  # the Báo cáo page's charts
    "resources/forms/*",
    "resources/catalogs/*",
    "ksk_desktop/db/migrations/env.py",
    "ksk_desktop/db/migrations/versions/0001_*.py",
    "ksk_desktop*-info/entry_points.txt",  # dist-info, or egg-info from an editable install
)
# Qt modules the station app never loads.
FORBIDDEN = (
    "PySide6/QtWebEngine*",
    "PySide6/QtQml.*",
    "PySide6/QtQuick*",
    "PySide6/Qt3D*",
    "PySide6/Qt/lib/libQt6WebEngine*",
    "PySide6/Qt/lib/libQt6VirtualKeyboard*",
)


def size_of(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def elf_files(folder: Path) -> list[Path]:
    out = []
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    out.append(p)
    return out


def needed(path: Path) -> list[str]:
    text = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].split("]", 1)[0] for line in text.splitlines() if "(NEEDED)" in line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--max-mb", type=float, default=250.0)
    args = parser.parse_args(argv)
    bundle = args.bundle
    internal = bundle / "_internal"
    failures: list[str] = []
    for exe in ("ksk-desktop", "ksk"):
        if not any((bundle / name).is_file() for name in (exe, exe + ".exe")):
            failures.append(f"missing executable {exe}")
    for pattern in REQUIRED:
        if not list(internal.glob(pattern)):
            failures.append(f"missing {pattern}")
    for pattern in FORBIDDEN:
        found = list(internal.glob(pattern))
        if found:
            failures.append(f"should be left out: {found[0].relative_to(internal)}")
    if sys.platform.startswith("linux") and shutil.which("readelf"):
        files = elf_files(bundle)
        for path in files:
            for lib in needed(path):
                if any(fnmatch.fnmatch(lib, pattern) for pattern in DROPPED_LIBS):
                    failures.append(f"{path.relative_to(bundle)} needs the dropped library {lib}")
        print(
            f"libraries: {len(files)} ELF files, none needs a dropped library"
            if not failures
            else "libraries: checked"
        )
    size = size_of(bundle)
    print(f"bundle size: {size / 1e6:.1f} MB unpacked (limit {args.max_mb:.0f} MB)")
    if size > args.max_mb * 1e6:
        failures.append(f"bundle is {size / 1e6:.1f} MB, over {args.max_mb:.0f} MB")
    for line in failures:
        print(f"FAIL {line}")
    print("bundle check: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
