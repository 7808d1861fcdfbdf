"""Reports the city plan requires: the monthly and annual reports by target group, their files, and submission."""
