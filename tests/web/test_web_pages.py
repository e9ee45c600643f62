"""Pages: the NHS layout and its accessibility basics, and what each page does."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.models import Membership
from qiloop_web.organisations.naming import anonymous_labels, practice_labels


class PageOutline(HTMLParser):
    """Collects what the accessibility checks need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.ids: list[str] = []
        self.labels_for: set[str] = set()
        self.fields: list[dict[str, str]] = []
        self.first_link: dict[str, str] | None = None
        self.mains: list[dict[str, str]] = []
        self.html_lang = ""
        self.inline_scripts = 0
        self.style_attributes = 0

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "script" and not attributes.get("src"):
            self.inline_scripts += 1
        if "style" in attributes:
            self.style_attributes += 1
        if tag == "html":
            self.html_lang = attributes.get("lang", "")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "a" and self.first_link is None:
            self.first_link = attributes
        if tag == "main":
            self.mains.append(attributes)
        if tag == "label":
            self.labels_for.add(attributes.get("for", ""))
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.fields.append(attributes)


def outline(html: str) -> PageOutline:
    parser = PageOutline()
    parser.feed(html)
    return parser


PAGES = [
    ("anonymous", "accounts:sign-in", []),
    ("anonymous", "accounts:password-reset", []),
    ("practice_manager", "home", []),
    ("practice_manager", "organisations:detail", ["A00001"]),
    ("practice_manager", "organisations:invite", ["A00001"]),
    ("practice_manager", "organisations:settings", ["A00001"]),
    ("practice_manager", "audit:organisation-log", ["A00001"]),
    ("network_qi_lead", "organisations:detail", ["QPCN1"]),
    ("gp", "accounts:sign-out", []),
]


@pytest.mark.parametrize(("person", "name", "args"), PAGES)
def test_every_page_has_the_nhs_layout_and_accessible_structure(client, universe, person, name, args):
    if person != "anonymous":
        client.force_login(universe.people[person])
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    html = response.content.decode()
    page = outline(html)
    assert page.html_lang == "en-GB"
    assert page.first_link and page.first_link.get("href") == "#maincontent"
    assert "nhsuk-skip-link" in page.first_link.get("class", "")
    assert [m.get("id") for m in page.mains] == ["maincontent"]
    assert '<header class="nhsuk-header"' in html and '<footer class="nhsuk-footer"' in html
    assert '<span class="nhsuk-header__service-name">qiloop</span>' in html
    assert 'name="viewport" content="width=device-width' in html
    # One h1, and no heading level is skipped on the way down.
    assert page.headings.count(1) == 1, page.headings
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    # Every form field has a label, and ids are unique.
    for field in page.fields:
        assert field.get("id") in page.labels_for, field
    assert len(page.ids) == len(set(page.ids))
    assert "/static/qiloop/qiloop.css" in html
    # Nothing inline, so the Content-Security-Policy can forbid inline scripts and styles.
    assert (page.inline_scripts, page.style_attributes) == (0, 0)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_errors_on_a_page_are_announced_in_the_title_summary_and_field(client, universe):
    client.force_login(universe.people["practice_manager"])
    html = client.post(reverse("organisations:invite", args=["A00001"]), {"email": "", "role": ""}).content.decode()
    assert "<title>Error: Invite someone" in html
    assert html.index("nhsuk-error-summary") < html.index("<h1")
    assert "Enter the e-mail address of the person to invite" in html
    assert 'class="nhsuk-form-group nhsuk-form-group--error"' in html
    assert 'class="nhsuk-select nhsuk-select--error"' in html


def test_home_lists_each_organisation_and_role(client, universe):
    client.force_login(universe.people["network_qi_lead"])
    html = client.get(reverse("home")).content.decode()
    assert "North PCN" in html and "Network QI lead" in html and "Riverside Surgery" not in html


def test_a_network_lead_sees_a_practice_name_only_when_the_practice_shares_it(client, universe):
    client.force_login(universe.people["network_qi_lead"])
    html = client.get(reverse("organisations:detail", args=["QPCN1"])).content.decode()
    assert "Hill Street Practice" in html  # shares its name
    assert "Riverside Surgery" not in html and "A00001" not in html
    assert anonymous_labels([universe.practice, universe.sibling_practice])["A00001"] in html


def test_anonymous_labels_are_stable_letters_and_members_see_their_own_practice_name(universe):
    practices = [universe.practice, universe.sibling_practice]
    labels = anonymous_labels(practices)
    assert sorted(labels.values()) == ["Practice A", "Practice B"]
    assert anonymous_labels(list(reversed(practices))) == labels
    assert practice_labels(universe.people["gp"], practices)["A00001"] == "Riverside Surgery"
    assert practice_labels(universe.people["network_qi_lead"], practices)["A00001"] == labels["A00001"]


def test_the_practice_manager_changes_the_sharing_setting(client, universe):
    client.force_login(universe.people["practice_manager"])
    url = reverse("organisations:settings", args=["A00001"])
    response = client.post(url, {"share_name_with_network": "on"})
    assert response.status_code == 302
    universe.practice.refresh_from_db()
    assert universe.practice.share_name_with_network is True
    assert client.get(url).context["form"].initial == {"share_name_with_network": True}
    client.post(url, {})
    universe.practice.refresh_from_db()
    assert universe.practice.share_name_with_network is False
    assert AuditEvent.objects.filter(action="practice.settings_changed", organisation_code="A00001").count() == 2


def test_practice_settings_do_not_exist_for_a_pcn(client, universe):
    client.force_login(universe.people["network_qi_lead"])
    # The lead lacks the permission anyway; an administrator of the PCN would get 404.
    assert client.get(reverse("organisations:settings", args=["QPCN1"])).status_code == 403


def test_the_practice_manager_changes_a_role(client, universe):
    client.force_login(universe.people["practice_manager"])
    membership = Membership.objects.get(user=universe.people["receptionist"])
    url = reverse("organisations:change-role", args=["A00001", membership.pk])
    assert client.post(url, {"role": "health_secretary"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "health_secretary"
    event = AuditEvent.objects.get(action="membership.role_changed")
    assert event.detail == {"from": "receptionist", "to": "health_secretary"}


def test_only_managers_see_the_management_links(client, universe):
    client.force_login(universe.people["receptionist"])
    html = client.get(reverse("organisations:detail", args=["A00001"])).content.decode()
    assert "Invite someone" not in html and "Audit log" not in html and "Change role" not in html
    client.force_login(universe.people["practice_manager"])
    html = client.get(reverse("organisations:detail", args=["A00001"])).content.decode()
    assert "Invite someone" in html and "Audit log" in html and "Practice settings" in html


def test_the_practice_manager_removes_a_member_but_not_themselves(client, universe):
    manager = universe.people["practice_manager"]
    client.force_login(manager)
    receptionist = Membership.objects.get(user=universe.people["receptionist"])
    url = reverse("organisations:remove-member", args=["A00001", receptionist.pk])
    assert b"Remove Receptionist?" in client.get(url).content
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(pk=receptionist.pk).exists()
    assert AuditEvent.objects.get(action="membership.removed").detail == {"role": "receptionist"}
    own = Membership.objects.get(user=manager)
    html = client.post(reverse("organisations:remove-member", args=["A00001", own.pk])).content.decode()
    assert "You cannot remove yourself" in html and Membership.objects.filter(pk=own.pk).exists()


def test_only_an_administrator_removes_an_administrator(universe):
    from qiloop_web.organisations import actions
    from qiloop_web.organisations.roles import Role

    admin = universe.people["administrator"]
    membership = actions.add_membership(user=admin, organisation=universe.practice, role=Role.ADMINISTRATOR, by=admin)
    with pytest.raises(actions.OrganisationError, match="Only an administrator"):
        actions.remove_membership(membership=membership, by=universe.people["practice_manager"])


def test_the_invite_form_is_on_the_organisation_page_for_managers_only(client, universe):
    client.force_login(universe.people["practice_manager"])
    html = client.get(reverse("organisations:detail", args=["A00001"])).content.decode()
    assert f'action="{reverse("organisations:invite", args=["A00001"])}"' in html and 'name="role"' in html
    client.force_login(universe.people["gp"])
    assert 'name="role"' not in client.get(reverse("organisations:detail", args=["A00001"])).content.decode()


def test_the_stylesheet_imports_the_design_system_and_names_local_fonts():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("qiloop/qiloop.css")).read_text()
    assert '@import url("../nhsuk/nhsuk-frontend.min.css");' in css
    # The override that stops the browser fetching "Frutiger W01" from assets.nhs.uk.
    assert "font-family: Frutiger" in css and "W01" not in css.split("*/")[-1]


def test_the_error_pages_render_in_the_nhs_layout(db):
    from django.template.loader import render_to_string

    for name, heading in [("403.html", "You cannot see this page"), ("404.html", "Page not found")]:
        assert heading in render_to_string(name)
    # The 500 page is rendered without a request context.
    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html and 'class="nhsuk-header"' in html
