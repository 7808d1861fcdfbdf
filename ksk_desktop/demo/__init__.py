"""Demo and test-data helpers: synthetic (never real) residents for a commune health station."""
