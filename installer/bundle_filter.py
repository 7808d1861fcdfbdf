"""What the station bundle leaves out of what PyInstaller's Qt hooks collect (used by installer/ksk-desktop.spec,
and by installer/check_bundle.py, which proves no file left in the bundle needs a library dropped here).

Qt's hooks take every plugin of a module and every library those plugins link to. The app needs none of these:
- Qt's own translations (the app brings its Vietnamese one, resources/translations/qtbase_vi.qm);
- the virtual-keyboard input context (its own libraries; Qt Quick and QML stay: the multimedia (FFmpeg) plugin
  that the webcam scanner uses links to them);
- the GTK platform theme (it drags in GTK 3, GDK, cairo, pango: the app uses Qt's Fusion style);
- the embedded-device platforms (eglfs, linuxfb, vnc, Vulkan display) and the evdev input plugins;
- the Wayland platform (Qt falls back to xcb, which every Linux desktop with XWayland has);
- QtNetwork's TLS and network-information plugins (the app talks HTTP through requests, not QtNetwork);
- image formats the app never reads (TIFF, WebP, ICNS, TGA, WBMP).
xcb, offscreen and minimal platforms stay, as do printsupport (CUPS), the other imageformats and multimedia.
"""

from __future__ import annotations

import fnmatch

DROPPED = (
    "PySide6/Qt/translations/*",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/generic/*",
    "PySide6/Qt/plugins/platforms/libqwayland*.so",
    "PySide6/Qt/plugins/wayland-*/*",
    "PySide6/Qt/plugins/tls/*",
    "PySide6/Qt/plugins/networkinformation/*",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so",
    "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
)

# Libraries only the dropped plugins link to (matched on the file name, wherever PyInstaller put it).
DROPPED_LIBS = (
    "libQt6VirtualKeyboard*",
    "libQt6Wayland*",
    "libQt6WlShellIntegration*",
    "libQt6EglFS*",
    "libQt6EglFsKmsSupport*",
    "libgtk-3.so*",
    "libgdk-3.so*",
    "libgdk_pixbuf-2.0.so*",
    "libcairo.so*",
    "libcairo-gobject.so*",
    "libpango-1.0.so*",
    "libpangocairo-1.0.so*",
    "libpangoft2-1.0.so*",
    "libatk-1.0.so*",
    "libatk-bridge-2.0.so*",
    "libatspi.so*",
    "libepoxy.so*",
    "libpixman-1.so*",
)


def dropped(dest: str) -> bool:
    """True if the bundle path *dest* (``PySide6/Qt/lib/libQt6Quick.so.6``) is left out."""
    dest = dest.replace("\\", "/")
    name = dest.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(dest, pattern) for pattern in DROPPED) or any(
        fnmatch.fnmatch(name, pattern) for pattern in DROPPED_LIBS
    )


def keep(toc: list) -> list:
    """A PyInstaller TOC (``(dest, src, typecode)`` entries) without what is dropped."""
    return [entry for entry in toc if not dropped(entry[0])]
