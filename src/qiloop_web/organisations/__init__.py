"""ICB -> PCN -> practice, memberships with roles, permissions, invitations, practice settings."""
