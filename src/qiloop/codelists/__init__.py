"""Code lists: named, versioned sets of SNOMED CT or dm+d codes that measures look for.

>>> from qiloop.codelists import load
>>> load("copd").version
'f240aa8d'

The built-in lists live in ``data/<name>.csv`` (``code,term``) and are described in
``data/manifest.json`` (title, coding system, source, version). See docs/codelists.md.
"""

from qiloop.codelists.model import CODING_SYSTEMS, Codelist, CodingSystem
from qiloop.codelists.reader import read_codelist_csv
from qiloop.codelists.registry import all_codelists, all_known_codes, load, load_file, manifest, names

__all__ = [
    "CODING_SYSTEMS",
    "Codelist",
    "CodingSystem",
    "all_codelists",
    "all_known_codes",
    "load",
    "load_file",
    "manifest",
    "names",
    "read_codelist_csv",
]
