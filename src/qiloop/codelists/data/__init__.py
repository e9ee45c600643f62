"""The built-in code lists: one ``<name>.csv`` (``code,term``) per list, described in ``manifest.json``."""
