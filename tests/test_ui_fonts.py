"""The bundled monospace font: fixed-pitch, every Vietnamese letter, its licence shipped beside it, and the
recovery key shown with it even where the system's ``monospace`` is not fixed-pitch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata

import pytest
from PySide6.QtGui import QFontInfo, QFontMetrics

from ksk_desktop.resources import resource
from ui.fonts import MONO_FILE, monospace_font

VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # none, huyền, sắc, ngã, hỏi, nặng
VIETNAMESE = sorted(
    {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES}
    | set("đĐbcdghklmnpqrstvxBCDGHKLMNPQRSTVX")
)


def test_bundled_monospace_is_fixed_pitch_with_every_vietnamese_letter(qapp):
    font = monospace_font(14)
    info = QFontInfo(font)
    assert info.family() == "JetBrains Mono" and info.fixedPitch()
    metrics = QFontMetrics(font)
    assert [ch for ch in VIETNAMESE if not metrics.inFontUcs4(ord(ch))] == []
    assert len({metrics.horizontalAdvance(ch) for ch in "iIl1mMW0Oạ-"}) == 1  # every glyph the same width
    licence = resource("fonts", "JetBrainsMono-OFL.txt").read_text(encoding="utf-8")
    assert "JetBrains Mono" in licence and "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert resource("fonts", MONO_FILE).is_file()


HOSTILE_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts</dir>
  <cachedir>{cache}</cachedir>
  <match target="pattern">
    <test name="family"><string>monospace</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Sans</string></edit>
  </match>
</fontconfig>
"""

SHOW_KEY = """
import json
from PySide6.QtGui import QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication
from ui.login.recovery_key_dialog import RecoveryKeyDialog
app = QApplication([])
system = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
dialog = RecoveryKeyDialog("ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2-34567")
key = QFontInfo(dialog.key_label.font())
print(json.dumps({"system_fixed": QFontInfo(system).fixedPitch(), "key_fixed": key.fixedPitch(),
                  "key_family": key.family(), "key_size": key.pointSizeF()}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fontconfig set-up of Linux desktops")
def test_recovery_key_is_fixed_pitch_where_the_systems_monospace_is_not(tmp_path):
    """fontconfig here maps ``monospace`` to a proportional face (as some desktops do): the key keeps its font."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(HOSTILE_FONTCONFIG.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    env = dict(os.environ, FONTCONFIG_FILE=str(conf), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", SHOW_KEY], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert (
        shown["system_fixed"] is False
    )  # the set-up really is hostile: the system's fixed font is not fixed
    assert shown["key_fixed"] is True and shown["key_family"] == "JetBrains Mono" and shown["key_size"] >= 14
