"""The frozen bundle's command-line executable (installer/ksk-desktop.spec): the same entry point as ``ksk``."""

import sys

from ksk_desktop.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
