"""Vector barcodes inside the PDFs: the Code128 of an appointment id (scannable at print size) and the QR that
verifies a result slip."""

from __future__ import annotations

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from .fonts import REGULAR, clean, register_fonts

# 0.2 mm is above the 0.19 mm smallest module most handheld scanners read reliably, and close to whole printer
# dots (4.7 at 600 dpi, 2.4 at 300 dpi). A full appointment id (36 characters) then takes about 90 mm.
MODULE = 0.2 * mm
QUIET_MODULES = 10  # the quiet zone Code128 requires on each side


def bars(value: str, *, height: float = 8 * mm, module: float = MODULE) -> Code128:
    """The bare Code128 symbol of *value*, quiet zones included (no text)."""
    return Code128(clean(value), barWidth=module, barHeight=height, quiet=1, lquiet=QUIET_MODULES * module,
                   rquiet=QUIET_MODULES * module, humanReadable=False)


class LabelledCode128(Flowable):
    """A Code128 with its text printed underneath (inside the flowable's own height, unlike reportlab's)."""

    def __init__(self, value: str, *, height: float = 8 * mm, module: float = MODULE, font_size: float = 6) -> None:
        super().__init__()
        register_fonts()
        self.value = clean(value)
        self.symbol = bars(self.value, height=height, module=module)
        self.font_size = font_size
        self.width = self.symbol.width
        self.height = height + font_size * 1.3

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.symbol.drawOn(self.canv, 0, self.font_size * 1.3)
        self.canv.setFont(REGULAR, self.font_size)
        self.canv.drawCentredString(self.width / 2, self.font_size * 0.3, self.value)


def code128(value: str, *, height: float = 7 * mm, module: float = MODULE, font_size: float = 6) -> LabelledCode128:
    """A Code128 flowable of *value* (an appointment id) with its text underneath in Noto Sans."""
    return LabelledCode128(value, height=height, module=module, font_size=font_size)


def code128_width(value: str, module: float = MODULE) -> float:
    """The printed width of the Code128 of *value*, quiet zones included."""
    return bars(value, module=module).width


def qr(value: str, size: float = 24 * mm) -> Drawing:
    """A QR code of *value* (error correction M, 4-module quiet zone) as a square drawing of *size*."""
    widget = QrCodeWidget(clean(value), barLevel="M", barBorder=4)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing
