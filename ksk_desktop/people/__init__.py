"""The commune's people: the person record, the list and its search, consents, duplicates and merges, registration from a scanned CCCD, a person's history."""
