"""The frozen bundle's GUI executable (installer/ksk-desktop.spec): the same entry point as ``ksk-desktop``."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
