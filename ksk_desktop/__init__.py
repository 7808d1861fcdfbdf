"""KSK Desktop core: domain rules, storage, security and the command line. No Qt, no HTTP."""

__version__ = "0.1.0"
