"""The ``ksk`` command line: how tests, benchmarks, scripts and support staff drive the app headless."""
