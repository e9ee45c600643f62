"""docs/codelists.md, generated from the manifest (tests check the file is up to date):

python -m qiloop.codelists.docs > docs/codelists.md
"""

from __future__ import annotations

from qiloop.codelists.registry import manifest

INTRO = """\
# Code lists

Generated from `src/qiloop/codelists/data/manifest.json` by `python -m qiloop.codelists.docs > docs/codelists.md`;
a test fails when this file is out of date.

A code list is a named, versioned set of SNOMED CT codes (matched against `clinical_events.snomedct_code`) or dm+d
codes (matched against `medications.dmd_code`). qiloop's built-in lists are its own files — `data/<name>.csv` with
the header `code,term`, one code per line, sorted — described in `data/manifest.json` (name, title, coding system,
source, version, description, topic, whether the codes are verified, and the published list each was checked
against).

```python
from qiloop.codelists import load, all_codelists, all_known_codes, load_file

copd = load("copd")                 # Codelist(name, system, version, source, codes: frozenset, terms)
"13645005" in copd                  # True
copd.label                          # 'copd@f240aa8d' (what results record)
all_known_codes()["dmd"]            # every dm+d code in any built-in list (used by the data-quality report)
load_file("local.csv", name="local_list", system="snomedct", version="2026-01")   # a practice's own list
```

**Validation.** A code-list file must start with the header `code,term`; every code must be 6 to 18 digits with no
leading zero (SNOMED CT and dm+d identifiers); a code may appear once; each row has exactly two columns. Otherwise
`read_codelist_csv`/`load_file` raise an `InputError` naming the file, the line and the offending code, and return
nothing.

**Checks against the published lists.** `tests/codelists/test_published.py` compares every list that has a published
counterpart in the reference data (`../shared/reference/ehr`, skipped when absent) with it: the codes must be equal,
or a strict subset/superset with the reason given below. `tests/codelists/test_synth_codes.py` checks that every code
the synthetic generator emits (`qiloop.synth.codes.CODES`) is in the list for its concept.

**Versions.** Lists built from a published list keep its OpenCodelists version (e.g. `v1.8`, `23edd06e`) or refset
date; a published PINCER list that qiloop trimmed gets `+qiloop-1` after the published version; other lists curated
by qiloop (subsets of QOF clusters, and concepts with no published list here) are version `qiloop-1`. QOF
business rules change every April: check the current Primary Care Domain refsets before using these lists for a
given QOF year.
"""


def _relation(entry: dict) -> str:
    ref = entry.get("reference")
    if not ref:
        return "none here"
    text = f"{ref['relation']} of `{ref['file']}`"
    if ref.get("reason"):
        text += f": {ref['reason']}"
    return text


def render_markdown() -> str:
    """The code-list reference page."""
    entries = manifest()
    out = [INTRO]
    unverified = [e for e in entries.values() if not e.get("verified", True)]
    if unverified:
        out.append("## Lists whose codes are not verified\n")
        out.append(
            "These lists could not be checked against a published source in this build. Confirm them against the "
            "current NHS Primary Care Domain refset before using them on real records.\n"
        )
        out.extend(f"- `{e['name']}`: {e['description']}" for e in unverified)
        out.append("")
    out.append("## Differences from the published lists\n")
    out.append("| list | relation |\n|---|---|")
    for entry in entries.values():
        ref = entry.get("reference")
        if ref and ref["relation"] != "equal" or ref and ref.get("reason"):
            out.append(f"| `{entry['name']}` | {_relation(entry)} |")
    out.append("")
    out.append("## All built-in lists\n")
    out.append(
        "| name | title | system | codes | version | topic | published counterpart |\n|---|---|---|---|---|---|---|"
    )
    for name in sorted(entries):
        e = entries[name]
        ref = e.get("reference")
        counterpart = f"{ref['relation']}: `{ref['file'].split('/')[-1]}`" if ref else "—"
        out.append(
            f"| `{name}` | {e['title']} | {e['system']} | {e['count']} | {e['version']} | {e['topic']} | {counterpart} |"
        )
    out.append("")
    out.append("## Sources\n")
    out.extend(f"- `{name}`: {entries[name]['source']}" for name in sorted(entries))
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(render_markdown(), end="")
