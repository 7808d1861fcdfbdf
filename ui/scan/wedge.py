"""Recognise a keyboard-wedge scanner wherever the focus is, and keep its keys out of the focused widget.

A USB scanner in keyboard mode "types" the QR payload: a burst of key presses far faster than a person can
type (a few ms apart), with Vietnamese letters often arriving as input-method commit strings instead of key
presses, and usually (not always) a trailing Enter, Return or Tab. ``WedgeScanFilter`` is an application-wide
event filter that

* holds back every printable key (and every commit string) while a burst is possible, so the payload is never
  typed into the focused field and its Enter never presses a dialog's default button;
* when the burst reaches ``min_length`` characters with gaps under ``max_gap_ms`` it is a scan: it ends at the
  first Enter/Return/Tab, or after ``end_timeout_ms`` of silence, and ``scanned(text)`` is emitted;
* when the keys come too slowly or the burst stays short, a person is typing: the held events are replayed to
  the widgets they were meant for, in order, so nothing typed is lost (a held key waits at most
  ``max_gap_ms``);
* within ``echo_window_ms`` after a scan, a repeated tail of the payload (the "late echo" some scanners send)
  or a stray CR/LF is swallowed.

Backspaces inside a burst edit the held text (an input-method editor such as Unikey rewrites ``D`` into ``Đ``
with a backspace); what remains of its artefacts is for the parser to flag. The payload is never logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent

Key = Qt.Key
Mod = Qt.KeyboardModifier
EventType = QEvent.Type

#: Keys a scanner may send after the payload.
TERMINATORS = frozenset({Key.Key_Return, Key.Key_Enter, Key.Key_Tab})
_WATCHED = frozenset(
    {EventType.KeyPress, EventType.KeyRelease, EventType.InputMethod, EventType.ShortcutOverride}
)
_HELD_RELEASE_MS = 1000.0  # a swallowed press's release is swallowed too, if it comes within this time


@dataclass(frozen=True)
class WedgeTiming:
    """How a scanner is told apart from a person (milliseconds and characters)."""

    max_gap_ms: float = 30.0  # keys closer than this may be a scanner; a person rarely types that fast twice
    min_length: int = 20  # a burst this long with every gap under max_gap_ms is a scan
    end_timeout_ms: float = 60.0  # a scan without a trailing Enter ends after this much silence
    echo_window_ms: float = 300.0  # after a scan, a repeated tail or a lone CR/LF within this time is dropped
    max_length: int = 4000  # longer scans are cut here (the parser rejects them anyway)

    def __post_init__(self) -> None:
        if self.max_gap_ms <= 0 or self.end_timeout_ms <= 0 or self.echo_window_ms < 0:
            raise ValueError("timings must be positive")
        if self.min_length < 2 or self.max_length < self.min_length:
            raise ValueError("min_length must be at least 2 and at most max_length")


def _now_ms() -> float:
    return time.perf_counter() * 1000.0


def _is_text(text: str, mods: Qt.KeyboardModifier) -> bool:
    """Printable text (not Ctrl+letter; AltGr, reported as Ctrl+Alt on Windows, still types text)."""
    if not text or not all(ch.isprintable() for ch in text):
        return False
    ctrl = bool(mods & (Mod.ControlModifier | Mod.MetaModifier))
    return not ctrl or bool(mods & Mod.AltModifier)


def _stamp(event: QEvent) -> int:
    """The window system's time stamp of a key event (ms), 0 for synthetic and input-method events."""
    return int(event.timestamp()) if isinstance(event, QKeyEvent) else 0


def _copy_event(event: QEvent) -> QEvent:
    if isinstance(event, QInputMethodEvent):
        return QInputMethodEvent(event)
    assert isinstance(event, QKeyEvent)
    return QKeyEvent(
        event.type(),
        event.key(),
        event.modifiers(),
        event.nativeScanCode(),
        event.nativeVirtualKey(),
        event.nativeModifiers(),
        event.text(),
        event.isAutoRepeat(),
        event.count(),
    )


@dataclass
class _Burst:
    started: float
    echo_candidate: bool  # started within the echo window of the previous scan
    events: list[tuple[QObject, QEvent]] = field(default_factory=list)  # (receiver, copy) for a replay
    chars: list[str] = field(default_factory=list)
    pressed: dict[int, int] = field(default_factory=dict)  # keys pressed in this burst and not yet released
    last: float = 0.0
    last_stamp: int = 0
    confirmed: bool = False  # long and fast enough to be a scan

    @property
    def text(self) -> str:
        return "".join(self.chars)


class WedgeScanFilter(QObject):
    """Application-wide keyboard-wedge scan recogniser: ``QApplication.instance().installEventFilter(f)``."""

    scanned = Signal(str)
    echo_dropped = Signal(int)  # how many characters of a late echo were dropped (never the text)

    def __init__(self, timing: WedgeTiming | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timing = timing or WedgeTiming()
        self._enabled = True
        self._replaying = False
        self._burst: _Burst | None = None
        self._held: dict[int, float] = {}  # released later: key → when its press was swallowed
        self._echo_until = 0.0
        self._last_payload = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timeout)
        #: Recognition latency of the last scan: ms from its last key to the decision (for the bench).
        self.last_latency_ms: float | None = None

    # -- configuration -----------------------------------------------------------------------------------
    @property
    def timing(self) -> WedgeTiming:
        return self._timing

    def set_timing(self, timing: WedgeTiming) -> None:
        self.flush()
        self._timing = timing

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Disabled, every event passes untouched (what is held now is given back first)."""
        if not enabled:
            self.flush()
        self._enabled = enabled

    @property
    def busy(self) -> bool:
        """Keys are being held back right now."""
        return self._burst is not None

    def install(self) -> WedgeScanFilter:
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        return self

    def uninstall(self) -> None:
        if not shiboken6.isValid(self):  # already deleted with the application (the window closed at exit)
            return
        self.flush()
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def flush(self) -> None:
        """End the current burst now: a scan is emitted, anything else is given back to its widgets."""
        if self._burst is not None:
            self._finish(_now_ms())

    # -- the filter --------------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        etype = event.type()
        if etype not in _WATCHED or self._replaying or not self._enabled or not obj.isWidgetType():
            # Only widgets: a real key event reaches the window first, then the focus widget, and is taken
            # (or passed) there. Events passed on and propagated to parents are judged the same way again.
            return False
        if etype == EventType.KeyPress:
            return self._key_press(obj, event)
        if etype == EventType.KeyRelease:
            return self._key_release(obj, event)
        if etype == EventType.InputMethod:
            return self._input_method(obj, event)
        return self._shortcut_override(event)

    def _shortcut_override(self, event: QKeyEvent) -> bool:
        # Inside a burst no key may trigger a shortcut: accepting the override makes Qt deliver a key press,
        # which is then held back like the others.
        if self._burst is None and not (_now_ms() < self._echo_until and event.key() in TERMINATORS):
            return False
        event.accept()
        return True

    def _gap(self, now: float, event: QEvent) -> float:
        burst = self._burst
        assert burst is not None
        gap = now - burst.last
        stamp = _stamp(event)
        if stamp and burst.last_stamp and stamp >= burst.last_stamp:
            # Window-system time stamps tell the real gap even when the GUI thread was busy for a moment.
            gap = min(gap, float(stamp - burst.last_stamp))
        return gap

    def _too_late(self, now: float, event: QEvent) -> bool:
        burst = self._burst
        assert burst is not None
        if burst.confirmed:
            return self._gap(now, event) > self._timing.end_timeout_ms
        return self._gap(now, event) > self._timing.max_gap_ms

    def _start(self, now: float) -> _Burst:
        self._burst = _Burst(started=now, echo_candidate=now < self._echo_until, last=now)
        return self._burst

    def _record(self, obj: QObject, event: QEvent, now: float) -> None:
        burst = self._burst
        assert burst is not None
        burst.events.append((obj, _copy_event(event)))
        burst.last = now
        burst.last_stamp = _stamp(event)
        if len(burst.chars) >= self._timing.min_length:
            burst.confirmed = True
        self._timer.start(
            max(1, round(self._timing.end_timeout_ms if burst.confirmed else self._timing.max_gap_ms))
        )

    def _add_text(self, text: str) -> None:
        burst = self._burst
        assert burst is not None
        room = self._timing.max_length - len(burst.chars)
        if room > 0:
            burst.chars.extend(text[:room])

    def _key_press(self, obj: QObject, event: QKeyEvent) -> bool:
        now = _now_ms()
        key, text, mods = event.key(), event.text(), event.modifiers()
        if event.isAutoRepeat():  # a key held down: a person
            self.flush()
            return False
        if self._burst is not None and self._too_late(now, event):
            self._finish(now)  # what was held is now decided; this key starts afresh
        burst = self._burst
        if burst is None:
            self._forget_old_held(now)
            if _is_text(text, mods):
                burst = self._start(now)
                self._add_text(text)
                burst.pressed[key] = burst.pressed.get(key, 0) + 1
                self._record(obj, event, now)
                return True
            if key in TERMINATORS and now < self._echo_until:
                self._held[key] = now  # the LF after a CR, or a second Enter: never a default button
                return True
            return False
        burst.pressed[key] = burst.pressed.get(key, 0) + 1
        if key in TERMINATORS and not mods & (Mod.ControlModifier | Mod.AltModifier | Mod.MetaModifier):
            self._record(obj, event, now)
            self._finish(now)
            return True
        if key == Key.Key_Backspace and not mods & (Mod.ControlModifier | Mod.AltModifier):
            if burst.chars:
                burst.chars.pop()  # an input method replacing the letter it just typed
        elif _is_text(text, mods):
            self._add_text(text)
        # Shift, AltGr and anything else typed this fast belongs to the burst; if the burst turns out to be
        # a person's typing, it is replayed in order with the rest.
        self._record(obj, event, now)
        return True

    def _key_release(self, obj: QObject, event: QKeyEvent) -> bool:
        key = event.key()
        burst = self._burst
        if burst is not None and burst.pressed.get(key, 0) > 0 and not event.isAutoRepeat():
            burst.pressed[key] -= 1
            burst.events.append((obj, _copy_event(event)))  # kept in order for a replay; not a keystroke
            return True
        if key in self._held:
            if _now_ms() - self._held.pop(key) <= _HELD_RELEASE_MS:
                return True  # the release of a key that was part of a scan
        return False

    def _input_method(self, obj: QObject, event: QInputMethodEvent) -> bool:
        now = _now_ms()
        commit = event.commitString()
        if self._burst is not None and self._too_late(now, event):
            self._finish(now)
        burst = self._burst
        if burst is None:
            if not commit or not _is_text(commit, Mod.NoModifier) or event.replacementLength():
                return False  # composing (pre-edit) or editing what is already in the field: a person
            burst = self._start(now)
        if commit:
            length = event.replacementLength()
            if length > 0:
                # Replace [cursor + start, cursor + start + length) of what the burst has typed so far.
                begin = len(burst.chars) + event.replacementStart()
                begin = max(0, min(begin, len(burst.chars)))
                del burst.chars[begin : begin + length]
            self._add_text(commit)
        self._record(obj, event, now)
        return True

    def _on_timeout(self) -> None:
        burst = self._burst
        if burst is None:
            return
        now = _now_ms()
        wait = self._timing.end_timeout_ms if burst.confirmed else self._timing.max_gap_ms
        remaining = wait - (now - burst.last)
        if remaining > 0.5:  # woke early (coarse timers): wait for the rest
            self._timer.start(max(1, round(remaining)))
            return
        self._finish(now)

    # -- deciding --------------------------------------------------------------------------------------------
    def _finish(self, now: float) -> None:
        burst, self._burst = self._burst, None
        self._timer.stop()
        if burst is None:
            return
        text = burst.text
        if burst.echo_candidate and self._is_echo(text, burst):
            self._swallow(burst, now)
            self.echo_dropped.emit(len(text))
            return
        if burst.confirmed:
            self._swallow(burst, now)
            self._echo_until = now + self._timing.echo_window_ms
            self._last_payload = text
            self.last_latency_ms = now - burst.last
            # Delivered from the event loop, never from inside another widget's event handling.
            QTimer.singleShot(0, self, lambda: self.scanned.emit(text))
            return
        self._replay(burst)

    def _is_echo(self, text: str, burst: _Burst) -> bool:
        stripped = text.strip()
        if not stripped:
            return True
        if self._last_payload.rstrip().endswith(stripped):
            return True
        typed = sum(
            1 for _obj, ev in burst.events if ev.type() in (EventType.KeyPress, EventType.InputMethod)
        )
        return not burst.confirmed and typed >= 2  # a short machine-speed burst right after a scan

    def _swallow(self, burst: _Burst, now: float) -> None:
        for key, count in burst.pressed.items():
            if count > 0:
                self._held[key] = now

    def _forget_old_held(self, now: float) -> None:
        if self._held:
            self._held = {k: t for k, t in self._held.items() if now - t <= _HELD_RELEASE_MS}

    def _replay(self, burst: _Burst) -> None:
        """Give the held events back to the widgets they were sent to, as if they had just arrived."""
        self._replaying = True
        try:
            for obj, event in burst.events:
                if shiboken6.isValid(obj):
                    QCoreApplication.sendEvent(obj, event)
        finally:
            self._replaying = False
