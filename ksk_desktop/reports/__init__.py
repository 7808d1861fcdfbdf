"""Reports the station files: the Ministry portal's Excel template, charts of the coverage."""
