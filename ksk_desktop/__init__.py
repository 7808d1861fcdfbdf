"""KSK Desktop core: domain rules, storage, security and the command line. No Qt, no HTTP."""

from importlib.metadata import PackageNotFoundError, version


def _installed_version() -> str:
    """The version in the installed package's metadata (pyproject.toml's ``version``; a frozen bundle carries the
    same metadata), so the command line, the window, backups and the installer all name one version."""
    try:
        return version("ksk-desktop")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


__version__ = _installed_version()
