"""Synthetic keyboard input for the wedge tests and the bench: a scanner or a person "typing" into a widget.

A scanner types each character as Shift (if needed), key down, key up; a Vietnamese letter arrives either as
a key press carrying the letter (Windows' VK_PACKET path) or, with an input-method editor active, as an
input-method commit string. Events are sent at a fixed pace with the event loop running in between, so the
filter's timers fire as they would in the field.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QInputMethodEvent, QKeyEvent

Key = Qt.Key
Mod = Qt.KeyboardModifier

_PUNCTUATION = {
    " ": (Key.Key_Space, False),
    "|": (Key.Key_Bar, True),
    ",": (Key.Key_Comma, False),
    ".": (Key.Key_Period, False),
    "/": (Key.Key_Slash, False),
    "-": (Key.Key_Minus, False),
    "\r": (Key.Key_Return, False),
    "\n": (Key.Key_Enter, False),
    "\t": (Key.Key_Tab, False),
}


def key_of(ch: str) -> tuple[int, bool]:
    """(Qt key, needs Shift) for one character as a US keyboard types it; (0, False) for other letters."""
    if ch in _PUNCTUATION:
        key, shift = _PUNCTUATION[ch]
        return int(key.value), shift
    if ch.isascii() and ch.isdigit():
        return int(Key.Key_0.value) + ord(ch) - ord("0"), False
    if ch.isascii() and ch.isalpha():
        return int(Key.Key_A.value) + ord(ch.upper()) - ord("A"), ch.isupper()
    return 0, False


def char_events(ch: str, ime: bool = False) -> list[QEvent]:
    """The events one character produces (Shift down … Shift up, or one commit string)."""
    if ime and not ch.isascii():
        commit = QInputMethodEvent("", [])
        commit.setCommitString(ch)
        return [commit]
    key, shift = key_of(ch)
    text = {"\n": "\r"}.get(ch, ch)
    mods = Mod.ShiftModifier if shift else Mod.NoModifier
    events: list[QEvent] = []
    if shift:
        events.append(QKeyEvent(QEvent.Type.KeyPress, Key.Key_Shift, Mod.ShiftModifier))
    events.append(QKeyEvent(QEvent.Type.KeyPress, key, mods, text))
    events.append(QKeyEvent(QEvent.Type.KeyRelease, key, mods, text))
    if shift:
        events.append(QKeyEvent(QEvent.Type.KeyRelease, Key.Key_Shift, Mod.NoModifier))
    return events


def wait_ms(ms: float) -> None:
    """Run the event loop for *ms* milliseconds (timers fire meanwhile)."""
    deadline = time.perf_counter() + ms / 1000.0
    while True:
        QCoreApplication.processEvents()
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        time.sleep(min(left, 0.0005))


def type_text(
    target: QObject | Callable[[], QObject], text: str, pace_ms: float, *, ime: bool = False
) -> float:
    """Send *text* to *target* one character every *pace_ms*; returns ``time.perf_counter()`` (seconds) when
    the last character was sent. *target* may be a callable giving the widget to send to (the focus widget).

    Key events carry the window system's time stamp of when the key was meant to arrive, as real ones do: the
    device's pace, not when this (possibly descheduled, on a loaded machine) test process got round to it."""
    last = time.perf_counter()
    first_stamp = int(last * 1000.0) + 1
    for i, ch in enumerate(text):
        if i:
            wait_ms(pace_ms - (time.perf_counter() - last) * 1000.0)
        receiver = target() if callable(target) else target
        last = time.perf_counter()
        for event in char_events(ch, ime):
            if isinstance(event, QKeyEvent):
                event.setTimestamp(first_stamp + round(i * pace_ms))
            QCoreApplication.sendEvent(receiver, event)
    return last
