"""The station bundle's parts that run without building it (installer/smoke-bundle.sh builds and runs the real
bundle): one version from the package metadata, the smoke-test exit of the GUI, what the bundle leaves out,
and the Windows installer script compiled by NSIS's makensis where it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from conftest import run_ksk
from ksk_desktop import __version__

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))

import build  # noqa: E402
import bundle_filter  # noqa: E402


def test_the_version_is_the_package_metadata(tmp_path):
    assert __version__ == version("ksk-desktop") != "0+unknown"
    result = run_ksk("--version", data_dir=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"ksk {version('ksk-desktop')}"


def test_the_login_dialog_shows_the_version(qtbot, station):
    from ui.login.login_dialog import LoginDialog

    paths, _ = station
    dialog = LoginDialog(paths)
    qtbot.addWidget(dialog)
    assert dialog.version_label.text() == f"Phiên bản {version('ksk-desktop')}"


def test_smoke_exit_prints_one_line_once_the_login_dialog_is_shown(station, tmp_path):
    paths, _ = station
    out = tmp_path / "smoke.txt"  # for the windowed Windows build, which has no stdout
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        KSK_SMOKE_EXIT_AFTER_LOGIN_SHOWN="1",
        KSK_SMOKE_OUTPUT=str(out),
    )
    result = subprocess.run(
        [sys.executable, "-m", "ui.app", "--data-dir", str(paths.root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"SMOKE_LOGIN_SHOWN ksk-desktop {version('ksk-desktop')}"]
    assert out.read_text(encoding="utf-8").splitlines() == result.stdout.splitlines()


def test_the_smoke_exit_is_not_an_option_people_see():
    from ui.app import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--smoke-exit-after-login-shown"])


@pytest.mark.parametrize(
    ("dest", "dropped"),
    [
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", True),
        ("PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", True),
        ("libgtk-3.so.0", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),  # xcb (XWayland) stands in
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", False),
        ("PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),  # the FFmpeg multimedia plugin links to it
        ("resources/translations/qtbase_vi.qm", False),
        ("PySide6\\Qt\\translations\\qt_fr.qm", True),
    ],
)
def test_what_the_bundle_leaves_out(dest, dropped):
    assert bundle_filter.dropped(dest) is dropped
    assert bundle_filter.keep([(dest, "/src", "BINARY")]) == ([] if dropped else [(dest, "/src", "BINARY")])


@pytest.mark.skipif(shutil.which("makensis") is None, reason="NSIS (apt package nsis) is not installed")
def test_the_windows_installer_script_compiles(tmp_path):
    bundle = tmp_path / "ksk-desktop"
    (bundle / "_internal").mkdir(parents=True)
    for name in ("ksk-desktop.exe", "ksk.exe", "_internal/base_library.zip"):
        (bundle / name).write_text("stub")
    cmd = build.makensis_command(bundle, tmp_path, "1.2.3")
    assert "-DAPP_VERSION=1.2.3" in cmd and f"-DBUNDLE_DIR={bundle}" in cmd
    result = subprocess.run([cmd[0], "-WX", *cmd[1:]], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    setup = tmp_path / "ksk-desktop-1.2.3-setup.exe"
    assert setup.stat().st_size > 50_000
    assert setup.read_bytes()[:2] == b"MZ"  # a Windows executable


def test_the_installer_script_keeps_the_data_folder_unless_asked():
    script = (ROOT / "installer" / "windows" / "ksk-desktop.nsi").read_text(encoding="utf-8")
    assert "RequestExecutionLevel user" in script
    assert '!insertmacro MUI_LANGUAGE "Vietnamese"' in script
    # The only section that removes the data folder is unticked by default (/o).
    data_sections = [line for line in script.splitlines() if line.startswith("Section") and "dữ liệu" in line]
    assert data_sections and all(line.startswith("Section /o") for line in data_sections)
    # The data folder the uninstaller names is the one the app uses on Windows.
    assert r"$LOCALAPPDATA\KSK\KSK Desktop" in script
