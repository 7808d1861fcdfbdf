"""The station itself: creating and opening it, the logged-in session, users and passwords, where its files live, backups, the database check and the audit trail."""
