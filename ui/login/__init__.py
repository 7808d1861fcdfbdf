"""Getting in and staying safe: first run, login, the recovery key, the idle lock."""
