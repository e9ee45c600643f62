"""The append-only audit log: every write and every view of patient-level data."""
