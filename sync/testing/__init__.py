"""Test and benchmark helpers that are part of the product's proof: a hub in a child process, a
fault-injecting HTTP proxy and a Jepsen-style set checker. Loopback only."""
