"""Helpers for the tests and benchmarks: a hub in a child process, a fault proxy, a FHIR peer, stations with synthetic people, synthetic key presses, FHIR examples."""
