"""KSK Desktop graphical interface (PySide6). Widgets call the Qt-free core in ``ksk_desktop`` and show what it returns."""
