"""The audit log is append-only and records who, what, to what, where from."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qiloop_web.audit import log
from qiloop_web.audit.models import AuditEvent, AuditLogIsAppendOnly


def test_an_event_cannot_be_changed_or_deleted(db):
    event = log.record(by=None, action="organisation.created", target_type="organisation", target_id="X1")
    event.action = "something.else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "organisation.created"


def test_record_keeps_plain_values_of_the_actor_and_organisation(universe):
    gp = universe.people["gp"]
    event = log.record(
        by=gp, action="membership.added", target_type="user", target_id=7, organisation=universe.practice
    )
    assert (event.actor_id, event.actor) == (gp.pk, "gp@example.nhs.uk")
    assert (event.target_type, event.target_id, event.organisation_code) == ("user", "7", "A00001")
    # No foreign keys: the event outlives the person.
    assert not any(f.is_relation for f in AuditEvent._meta.get_fields())


def test_record_view_logs_patient_level_views_and_downloads(universe):
    gp = universe.people["gp"]
    viewed = log.record_view(
        by=gp, what="action_list", organisation=universe.practice, target_type="measure", target_id="m1"
    )
    downloaded = log.record_view(by=gp, what="action_list.csv", organisation=universe.practice, download=True)
    assert viewed.action == "patient_data.viewed" and viewed.detail == {"what": "action_list"}
    assert downloaded.action == "patient_data.downloaded"
    assert set(AuditEvent.objects.for_organisation("A00001").values_list("action", flat=True)) >= {
        "patient_data.viewed",
        "patient_data.downloaded",
    }


def test_events_written_while_serving_a_request_carry_its_ip_address(client, universe):
    client.post(
        reverse("accounts:sign-in"),
        {"email": "gp@example.nhs.uk", "password": "wrong password"},
        REMOTE_ADDR="198.51.100.7",
    )
    event = AuditEvent.objects.get(action="sign_in.failed")
    assert event.ip_address == "198.51.100.7"
    # Outside a request (command line) there is no address.
    assert log.record(by=None, action="x.y").ip_address is None


def test_the_audit_page_shows_the_practices_events_and_its_members_sign_ins_only(client, universe):
    log.record(by=None, action="practice.settings_changed", organisation=universe.sibling_practice)
    for email in ("gp@example.nhs.uk", "other_gp@example.nhs.uk"):
        client.post(reverse("accounts:sign-in"), {"email": email, "password": "wrong"})
    client.force_login(universe.people["practice_manager"])
    response = client.get(reverse("audit:organisation-log", args=["A00001"]))
    assert response.status_code == 200
    events = list(response.context["page"])
    own = [e for e in events if e.organisation_code == "A00001"]
    sign_ins = [e for e in events if e.organisation_code == ""]
    assert own and len(own) + len(sign_ins) == len(events)
    assert [(e.action, e.target_id) for e in sign_ins] == [("sign_in.failed", "gp@example.nhs.uk")]
    assert b"Member added" in response.content and b"Sign-in failed" in response.content


def test_the_database_itself_refuses_to_change_events(db):
    """Raw SQL, past the model's guard: PostgreSQL and SQLite triggers both refuse."""
    from django.db import DatabaseError, connection, transaction

    event = log.record(by=None, action="organisation.created")
    for sql in ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "organisation.created"


def test_another_program_opening_the_sqlite_file_cannot_change_events_either(tmp_path):
    """Without the workbench's guard function, the triggers fail the statement ("no such function")."""
    import importlib
    import sqlite3

    migration = importlib.import_module("qiloop_web.audit.migrations.0003_sqlite_append_only_trigger")

    database = sqlite3.connect(tmp_path / "workbench.sqlite3")
    database.execute("CREATE TABLE audit_auditevent (id INTEGER PRIMARY KEY, action TEXT)")
    for sql in migration.CREATE:
        database.execute(sql)
    database.execute("INSERT INTO audit_auditevent (action) VALUES ('organisation.created')")
    for sql in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(sqlite3.OperationalError, match="qiloop_audit_append_only"):
            database.execute(sql)
    assert database.execute("SELECT action FROM audit_auditevent").fetchall() == [("organisation.created",)]
    database.close()


def test_every_model_change_has_a_migration(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_behind_a_proxy_the_address_is_the_one_the_proxy_added(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.20")
    settings.BEHIND_PROXY = False
    assert log.client_ip(request) == "10.0.0.2"
    settings.BEHIND_PROXY = True
    assert log.client_ip(request) == "198.51.100.20"
