"""docs/security.md and docs/clinical-safety.md name tests that exist: every control's proof can be run."""

from __future__ import annotations

import re

import pytest

from qiloop_reference import REPO_ROOT

REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?((?:::\w+)?)`")


@pytest.mark.parametrize("doc", ["docs/security.md", "docs/clinical-safety.md"])
def test_every_test_a_safety_document_names_exists(doc):
    text = (REPO_ROOT / doc).read_text(encoding="utf-8")
    current = None
    named = 0
    for path, name in REFERENCE.findall(text):
        if not path and not name:
            continue
        current = path or current
        assert current is not None, name
        source = (REPO_ROOT / current).read_text(encoding="utf-8")
        if name:
            assert re.search(rf"^def {name[2:]}\(", source, re.M), f"{doc}: {current}{name} does not exist"
        named += 1
    assert named >= 10


def test_the_readme_links_both_documents():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "`docs/security.md`" in readme and "`docs/clinical-safety.md`" in readme
