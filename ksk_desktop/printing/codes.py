"""Vector barcodes inside the PDFs: the Code128 of an appointment id (scannable at print size) and the QR that
verifies a result slip."""

from __future__ import annotations

import segno
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import black
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from ksk_desktop.printing.fonts import REGULAR, clean, register_fonts

# 0.2 mm is above the 0.19 mm smallest module most handheld scanners read reliably, and close to whole printer
# dots (4.7 at 600 dpi, 2.4 at 300 dpi). A full appointment id (36 characters) then takes about 90 mm.
MODULE = 0.2 * mm
QUIET_MODULES = 10  # the quiet zone Code128 requires on each side
QR_QUIET = 4  # modules of white around a QR code


def bars(value: str, *, height: float = 8 * mm, module: float = MODULE) -> Code128:
    """The bare Code128 symbol of *value*, quiet zones included (no text)."""
    return Code128(
        clean(value),
        barWidth=module,
        barHeight=height,
        quiet=1,
        lquiet=QUIET_MODULES * module,
        rquiet=QUIET_MODULES * module,
        humanReadable=False,
    )


class LabelledCode128(Flowable):
    """A Code128 with its text printed underneath (inside the flowable's own height, unlike reportlab's)."""

    def __init__(
        self, value: str, *, height: float = 8 * mm, module: float = MODULE, font_size: float = 6
    ) -> None:
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
        # The bars as one literal path: reportlab's own drawing formats every rectangle through pure-Python number
        # formatting, which is most of the time of a 400-row schedule.
        symbol, canv = self.symbol, self.canv
        x, y, h = symbol.lquiet, self.font_size * 1.3, symbol.barHeight
        ops = []
        for c in symbol.decomposed:
            if "a" <= c <= "z":  # a space, 1-4 modules wide
                x += (ord(c) - 96) * symbol.barWidth
            elif "A" <= c <= "Z":  # a bar
                w = (ord(c) - 64) * symbol.barWidth
                ops.append(f"{x:.3f} {y:.3f} {w:.3f} {h:.3f} re")
                x += w
        canv.saveState()
        canv.setFillColor(black)
        canv.addLiteral("\n".join(ops) + "\nf")
        canv.restoreState()
        canv.setFont(REGULAR, self.font_size)
        self.canv.drawCentredString(self.width / 2, self.font_size * 0.3, self.value)


def code128(
    value: str, *, height: float = 7 * mm, module: float = MODULE, font_size: float = 6
) -> LabelledCode128:
    """A Code128 flowable of *value* (an appointment id) with its text underneath in Noto Sans."""
    return LabelledCode128(value, height=height, module=module, font_size=font_size)


def code128_width(value: str, module: float = MODULE) -> float:
    """The printed width of the Code128 of *value*, quiet zones included."""
    return bars(value, module=module).width


class QrCode(Flowable):
    """A QR code (error correction M or better, 4-module quiet zone) drawn as one literal path of module runs:
    reportlab's QrCodeWidget builds a validated shape per module and takes ~80 ms a code."""

    def __init__(self, value: str, size: float = 24 * mm) -> None:
        super().__init__()
        self.value = clean(value)
        self.width = self.height = size
        matrix = segno.make_qr(self.value, error="m").matrix
        self.modules = len(matrix) + 2 * QR_QUIET
        step = size / self.modules
        ops = []
        for r, row in enumerate(matrix):
            y = size - (r + QR_QUIET + 1) * step
            c = 0
            while c < len(row):
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    ops.append(
                        f"{(start + QR_QUIET) * step:.3f} {y:.3f} {(c - start) * step:.3f} {step:.3f} re"
                    )
                c += 1
        self.ops = "\n".join(ops) + "\nf"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.setFillColor(black)
        self.canv.addLiteral(self.ops)
        self.canv.restoreState()


def qr(value: str, size: float = 24 * mm) -> QrCode:
    """A QR code of *value* as a square flowable of *size*."""
    return QrCode(value, size)
