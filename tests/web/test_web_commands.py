"""Command-line set-up: the organisation tree from a practices table, and demo accounts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from qiloop_web.accounts.models import User
from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.permissions import has_permission
from qiloop_web.organisations.roles import Permission, Role

HEADER = "practice_id,name,pcn_id,pcn_name,icb_id,icb_name\n"
ROWS = (
    "q10001,Oak Surgery,P1,Alpha PCN,I1,Test ICB\n"
    "Q10002,Elm Practice,P1,Alpha PCN,I1,Test ICB\n"
    "Q10003,Ash Medical Centre,P2,Beta PCN,I1,Test ICB\n"
)


def write(tmp_path, text, name="practices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_organisations_builds_the_tree_and_is_idempotent(db, tmp_path):
    path = write(tmp_path, HEADER + ROWS)
    assert run("load_organisations", str(path)) == "Created 1 icb, 2 pcn, 3 practice; 0 already there.\n"
    practice = Organisation.objects.get(code="Q10001")
    assert (practice.name, practice.parent.code, practice.parent.parent.code) == ("Oak Surgery", "P1", "I1")
    assert AuditEvent.objects.filter(action="organisation.created").count() == 6
    assert run("load_organisations", str(path)) == "Created 0 icb, 0 pcn, 0 practice; 6 already there.\n"


def test_practices_whose_pcn_and_icb_the_extract_does_not_give(db, tmp_path):
    """A converted extract (EMIS Web, SystmOne, FHIR, ehrQL) says 'unknown' for a practice's PCN and ICB: a practice
    the tree already has stays where it is; a new one goes to a PCN (and ICB) for practices the extract did not
    place, which the organisation tree shows by name. It used to fail: UNKNOWN as an ICB, then as a PCN."""
    run("load_organisations", str(write(tmp_path, HEADER + ROWS)))
    unknown = (
        "Q10001,Oak Surgery,unknown,unknown,unknown,unknown\n"  # known to the tree
        "Q20001,Q20001,unknown,unknown,unknown,unknown\n"  # new, nothing known
        "Q20002,Birch Surgery,unknown,unknown,I1,Test ICB\n"  # new, its ICB known
    )
    out = run("load_organisations", str(write(tmp_path, HEADER + unknown, "converted.csv")))
    assert out == "Created 1 icb, 2 pcn, 2 practice; 2 already there.\n"
    assert Organisation.objects.get(code="Q10001").parent.code == "P1"
    new = Organisation.objects.get(code="Q20001")
    assert (new.parent.code, new.parent.name) == ("UNKNOWN-UNKNOWN", "PCN not given in the extract")
    assert (new.parent.parent.code, new.parent.parent.name) == ("UNKNOWN", "ICB not given in the extract")
    birch = Organisation.objects.get(code="Q20002")
    assert (birch.parent.code, birch.parent.parent.code) == ("I1-UNKNOWN", "I1")
    # loading the same file again changes nothing
    assert run("load_organisations", str(write(tmp_path, HEADER + unknown, "converted.csv"))).startswith(
        "Created 0 icb, 0 pcn, 0 practice"
    )


def test_a_contradictory_row_names_its_line_and_changes_nothing(db, tmp_path):
    path = write(tmp_path, HEADER + ROWS + "Q10004,Yew Surgery,P1,Alpha PCN,I2,Other ICB\n")
    with pytest.raises(CommandError, match=r"practices.csv, line 5: P1 belongs to I1, not I2"):
        run("load_organisations", str(path))
    assert not Organisation.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("practice_id,name\nQ1,X\n", r"line 1: the header lacks pcn_id, pcn_name, icb_id, icb_name"),
        (HEADER + "Q1,,P1,Alpha PCN,I1,Test ICB\n", r"line 2: name is empty"),
        (HEADER + "P1,Clash,P1,Alpha PCN,I1,Test ICB\n", r"line 2: P1 is used as a gp practice but is already a pcn"),
    ],
)
def test_bad_practices_files_are_explained(db, tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        run("load_organisations", str(write(tmp_path, text)))


def test_a_missing_file_is_explained(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("load_organisations", str(tmp_path / "nope.csv"))


def test_demo_accounts_give_one_person_per_role_in_the_right_place(db, tmp_path):
    run("load_organisations", str(write(tmp_path, HEADER + ROWS)))
    output = run("demo_accounts", "--practice", "q10002", "--password", "demo password 123")
    assert "password for all: demo password 123" in output
    assert User.objects.count() == len(Role)
    places = {m.role: m.organisation.code for m in Membership.objects.select_related("organisation")}
    assert places["gp"] == places["patient_representative"] == "Q10002"
    assert places["network_qi_lead"] == "P1"
    assert places["icb_analyst"] == places["administrator"] == "I1"
    gp = User.objects.get(email="gp@demo.qiloop.invalid")
    assert gp.check_password("demo password 123")
    assert has_permission(gp, Permission.VIEW_PATIENT_LEVEL, Organisation.objects.get(code="Q10002"))
    again = run("demo_accounts", "--practice", "Q10002")
    assert again.count("already there") == len(Role) and User.objects.count() == len(Role)


def test_a_demo_account_signs_in_through_the_form(client, db, tmp_path):
    run("load_organisations", str(write(tmp_path, HEADER + ROWS)))
    run("demo_accounts", "--password", "demo password 123")
    response = client.post(
        reverse("accounts:sign-in"), {"email": "practice.manager@demo.qiloop.invalid", "password": "demo password 123"}
    )
    assert response.status_code == 302


def test_demo_accounts_need_a_practice(db):
    with pytest.raises(CommandError, match="No practices yet"):
        run("demo_accounts")


def test_demo_accounts_are_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="development only"):
        run("demo_accounts")
