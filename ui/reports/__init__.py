"""Views of the "Báo cáo" page: the list of people not yet examined behind a coverage figure."""
