"""Key slots, roles and permissions, login lock-out."""
