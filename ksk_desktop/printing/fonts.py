"""The bundled Noto Sans faces registered with reportlab (once per process), and the NFC clean-up every drawn
string goes through: reportlab does no text shaping, so a decomposed (NFD) Vietnamese letter would print with
detached marks, and its built-in Helvetica has no glyphs for ơ, ư, ế…"""

from __future__ import annotations

import io
import threading
import unicodedata
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ksk_desktop.resources import resource

REGULAR = "NotoSans"
BOLD = "NotoSans-Bold"
ITALIC = "NotoSans-Italic"
_FILES = {REGULAR: "NotoSans-Regular.ttf", BOLD: "NotoSans-Bold.ttf", ITALIC: "NotoSans-Italic.ttf"}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the three faces and the family mapping (so ``<b>`` and ``<i>`` work in paragraphs), and set
    reportlab's output options for this process. Idempotent."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, file in _FILES.items():
            # Bytes rather than a path: the resources may sit inside a frozen archive.
            data = resource("fonts", file).read_bytes()
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, ITALIC)
        addMapping(REGULAR, 1, 1, BOLD)  # no bold italic face is bundled: bold is the closer of the two
        # Streams are Flate-compressed binary; the extra ASCII85 layer (for 7-bit mail transports) costs a pure-
        # Python pass over every page and a quarter more bytes.
        rl_config.useA85 = 0
        _registered = True


def clean(value: object) -> str:
    """The text to draw for *value*: ``""`` for None, NFC, and no control characters other than line breaks."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def markup(value: object) -> str:
    """*value* cleaned and escaped for a platypus Paragraph (line breaks kept as ``<br/>``)."""
    return escape(clean(value)).replace("\n", "<br/>")
