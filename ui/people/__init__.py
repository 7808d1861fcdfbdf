"""The Người dân page and the people screens: the list model, the person card and history, registration from a scan, import, duplicates."""
