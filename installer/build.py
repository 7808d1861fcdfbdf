"""Build the station bundle: ``python installer/build.py --out DIR``.

Makes ``DIR/ksk-desktop/`` (a PyInstaller onedir bundle with the executables ``ksk-desktop`` and ``ksk``, from
``installer/ksk-desktop.spec``), then on Linux ``DIR/ksk-desktop-<version>-linux-<arch>.tar.gz``, and on Windows
``DIR/ksk-desktop-<version>-setup.exe`` through NSIS's ``makensis`` (``installer/windows/ksk-desktop.nsi``).
Run it with the Python of an environment where ``pip install .[build]`` was done (the dev venv after
``pip install -e .[build]`` will do). Prints one line per product with its size.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "ksk-desktop.spec"
NSI = ROOT / "installer" / "windows" / "ksk-desktop.nsi"
NAME = "ksk-desktop"


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def run_pyinstaller(out: Path, work: Path) -> Path:
    bundle = out / NAME
    if bundle.exists():
        shutil.rmtree(bundle)
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        f"--distpath={out}",
        f"--workpath={work}",
        str(SPEC),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return bundle


def make_tarball(bundle: Path, out: Path, app_version: str) -> Path:
    arch = platform.machine().lower() or "unknown"
    dest = out / f"{NAME}-{app_version}-linux-{arch}.tar.gz"
    with tarfile.open(dest, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=NAME)
    return dest


def makensis_command(bundle: Path, out: Path, app_version: str, makensis: str = "makensis") -> list[str]:
    """The makensis call: the bundle folder and the version come in as defines (the script has no paths of its
    own). ``-INPUTCHARSET UTF8`` because the script's Vietnamese text is UTF-8."""
    setup = out / f"{NAME}-{app_version}-setup.exe"
    return [
        makensis,
        "-V2",
        "-INPUTCHARSET",
        "UTF8",
        f"-DAPP_VERSION={app_version}",
        f"-DBUNDLE_DIR={bundle}",
        f"-DOUT_FILE={setup}",
        str(NSI),
    ]


def make_installer(bundle: Path, out: Path, app_version: str) -> Path:
    makensis = shutil.which("makensis") or r"C:\Program Files (x86)\NSIS\makensis.exe"
    cmd = makensis_command(bundle, out, app_version, makensis)
    subprocess.run(cmd, check=True)
    return Path(cmd[-2].removeprefix("-DOUT_FILE="))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the KSK Desktop station bundle")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--work", type=Path, default=None, help="PyInstaller's work folder (default: OUT/.build)"
    )
    parser.add_argument(
        "--no-archive", action="store_true", help="the bundle folder only (no .tar.gz / setup.exe)"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    app_version = version("ksk-desktop")
    started = time.monotonic()
    bundle = run_pyinstaller(out, (args.work or out / ".build").resolve())
    print(f"bundle: {bundle} {mb(tree_size(bundle))} ({time.monotonic() - started:.0f} s)", flush=True)
    if args.no_archive:
        return 0
    if os.name == "nt":
        setup = make_installer(bundle, out, app_version)
        print(f"installer: {setup} {mb(setup.stat().st_size)}")
    else:
        tarball = make_tarball(bundle, out, app_version)
        print(f"tarball: {tarball} {mb(tarball.stat().st_size)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
