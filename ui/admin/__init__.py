"""The Quản trị page: users, security policy, backups and the audit check."""
