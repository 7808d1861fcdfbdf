"""Reports the station files: the city plan's monthly and annual reports by target group (their files and
submission), the Ministry portal's Excel template, charts of the coverage."""
