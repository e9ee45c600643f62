"""Task and QI time pages: they render, validate, filter, show overdue tasks on the dashboard, and total the hours."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.actions import add_membership, change_role
from qiloop_web.organisations.models import Membership
from qiloop_web.projects.models import Project
from qiloop_web.teamwork import actions, totals
from qiloop_web.teamwork.models import Task, TimeEntry
from qiloop_web.teamwork.time_views import practice_totals

TODAY = timezone.localdate()


def task(universe, title, *, owner="receptionist", by="gp", due=7, practice=None, **extra):
    return actions.create_task(
        practice=practice or universe.practice,
        title=title,
        owner=universe.people[owner],
        due_on=TODAY + timedelta(days=due),
        by=universe.people[by],
        **extra,
    )


def typed(name: str, day: object, month: object, year: object) -> dict[str, str]:
    """A date as people type it in the NHS date input's three boxes."""
    return {f"{name}_day": str(day), f"{name}_month": str(month), f"{name}_year": str(year)}


def on(name: str, when: date) -> dict[str, str]:
    return typed(name, when.day, when.month, when.year)


def signed_in(client, universe, key):
    client.force_login(universe.people[key])
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- My tasks and the practice's task list ---------------------------------------------------------


def test_my_tasks_lists_my_tasks_across_practices_overdue_first(client, universe):
    add_membership(
        user=universe.people["receptionist"], organisation=universe.sibling_practice, role="receptionist", by=None
    )
    task(universe, "Later task", due=10)
    task(universe, "Overdue task", due=-3)
    task(universe, "Hill Street task", due=2, practice=universe.sibling_practice, by="other_gp")
    task(universe, "Someone else's", owner="gp", due=-10)
    finished = task(universe, "Finished task", due=-20)
    actions.complete_task(task=finished, by=universe.people["receptionist"])
    page = text(signed_in(client, universe, "receptionist").get(reverse("teamwork:my-tasks")))
    assert "Someone else" not in page
    overdue, coming_up, done = page.index("Overdue task"), page.index("Hill Street task"), page.index("Finished task")
    assert overdue < coming_up < page.index("Later task") < done
    assert page.index("<h2>Coming up</h2>") < coming_up
    assert "Hill Street Practice" in page


def test_my_tasks_drops_practices_i_have_left(client, universe):
    task(universe, "Old practice task")
    Membership.objects.filter(user=universe.people["receptionist"]).delete()
    page = text(signed_in(client, universe, "receptionist").get(reverse("teamwork:my-tasks")))
    assert "Old practice task" not in page


def test_the_header_links_to_my_tasks(client, universe):
    page = text(signed_in(client, universe, "gp").get(reverse("home")))
    assert f'href="{reverse("teamwork:my-tasks")}">My tasks</a>' in page


def test_the_practice_page_links_to_tasks_and_qi_time(client, universe):
    page = text(
        signed_in(client, universe, "patient_representative").get(reverse("organisations:detail", args=["A00001"]))
    )
    assert reverse("teamwork:tasks", args=["A00001"]) in page and reverse("teamwork:time", args=["A00001"]) in page


def test_the_audit_log_names_task_events_in_words(client, universe):
    task(universe, "Audited task", by="practice_manager")
    page = text(signed_in(client, universe, "practice_manager").get(reverse("audit:organisation-log", args=["A00001"])))
    assert "Task added" in page


def test_the_task_list_filters_by_owner_status_and_project(client, universe):
    project = Project.objects.create(practice=universe.practice, title="NSAID safety")
    task(universe, "Receptionist todo")
    task(universe, "Nurse project task", owner="practice_nurse", project=project)
    done = task(universe, "Receptionist done")
    actions.complete_task(task=done, by=universe.people["receptionist"])
    url = reverse("teamwork:tasks", args=["A00001"])
    client = signed_in(client, universe, "patient_representative")

    def titles(**query):
        page = text(client.get(url, query))
        return {name for name in ("Receptionist todo", "Nurse project task", "Receptionist done") if name in page}

    assert titles() == {"Receptionist todo", "Nurse project task"}  # not done, by default
    assert titles(status="all") == {"Receptionist todo", "Nurse project task", "Receptionist done"}
    assert titles(status="done") == {"Receptionist done"}
    assert titles(owner=universe.people["receptionist"].pk, status="all") == {"Receptionist todo", "Receptionist done"}
    assert titles(project=project.pk) == {"Nurse project task"}
    assert titles(owner="nonsense") == {"Receptionist todo", "Nurse project task"}  # a bad filter is ignored


def test_edit_links_show_only_on_tasks_i_may_change(client, universe):
    mine = task(universe, "Mine", owner="practice_nurse", by="practice_nurse")
    theirs = task(universe, "Theirs", owner="receptionist", by="gp")
    page = text(signed_in(client, universe, "practice_nurse").get(reverse("teamwork:tasks", args=["A00001"])))
    assert reverse("teamwork:task-edit", args=["A00001", mine.pk]) in page
    assert reverse("teamwork:task-edit", args=["A00001", theirs.pk]) not in page


# --- Create, edit, complete, delete ------------------------------------------------------------------


def post_task(client, **data):
    fields = {"title": "Update the recall letter", "status": "todo"} | typed("due_on", 31, 3, 2027) | data
    return client.post(reverse("teamwork:task-create", args=["A00001"]), fields)


def test_creating_a_task_for_a_patient_representative(client, universe):
    client = signed_in(client, universe, "gp")
    owner = universe.people["patient_representative"]
    assert "Who will do it" in text(client.get(reverse("teamwork:task-create", args=["A00001"])))
    response = post_task(client, owner=owner.pk, **typed("due_on", " 31", "03 ", "2027"))
    assert response.status_code == 302
    created = Task.objects.get()
    assert (created.owner, created.due_on, created.created_by) == (owner, date(2027, 3, 31), universe.people["gp"])
    assert AuditEvent.objects.filter(action="task.created").count() == 1


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        ({"title": ""}, "Enter what needs doing", "id_title"),
        (typed("due_on", 31, 2, 2027), "Due date must be a real date, for example 31 3 2027", "id_due_on"),
        (typed("due_on", 31, "", 2027), "Due date must include a month", "id_due_on"),
        (typed("due_on", 31, 3, 27), "Enter the year of the due date as 4 digits, for example 2027", "id_due_on"),
        (typed("due_on", "", "", ""), "Enter the due date", "id_due_on"),
        ({"owner": "OTHER"}, "Choose someone who is a member of this practice", "id_owner"),
        ({"owner": ""}, "Choose who will do it", "id_owner"),
    ],
)
def test_a_bad_task_shows_the_error_summary_and_changes_nothing(client, universe, data, error, field):
    client = signed_in(client, universe, "gp")
    data = {"owner": universe.people["receptionist"].pk} | data
    if data["owner"] == "OTHER":
        data["owner"] = universe.people["other_gp"].pk  # a real person, but in another practice
    response = post_task(client, **data)
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert f'<a href="#{field}">{error}</a>' in page
    assert "<title>Error: Add a task" in page
    assert not Task.objects.exists()


def test_a_project_of_another_practice_is_not_a_choice(client, universe):
    theirs = Project.objects.create(practice=universe.sibling_practice, title="Theirs")
    client = signed_in(client, universe, "gp")
    page = text(client.get(reverse("teamwork:task-create", args=["A00001"])))
    assert "Theirs" not in page
    response = post_task(client, owner=universe.people["gp"].pk, project=theirs.pk)
    assert "Choose one of this practice&#x27;s projects" in text(response)
    assert not Task.objects.exists()


def test_the_owner_edits_completes_and_deletes_with_confirmation(client, universe):
    job = task(universe, "Count the DNAs", owner="receptionist")
    client = signed_in(client, universe, "receptionist")
    edit = reverse("teamwork:task-edit", args=["A00001", job.pk])
    form = text(client.get(edit))
    assert 'value="Count the DNAs"' in form
    assert f'id="id_due_on" name="due_on_day" type="text" inputmode="numeric" value="{job.due_on.day}"' in form
    data = {"title": "Count the DNAs for May", "owner": job.owner_id, "status": "doing"} | typed("due_on", 15, 1, 2027)
    assert client.post(edit, data).status_code == 302
    job.refresh_from_db()
    assert (job.title, job.status, job.due_on) == ("Count the DNAs for May", "doing", date(2027, 1, 15))
    assert client.post(reverse("teamwork:task-complete", args=["A00001", job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    delete = reverse("teamwork:task-delete", args=["A00001", job.pk])
    confirmation = text(client.get(delete))
    assert "Delete the task “Count the DNAs for May”?" in confirmation
    assert Task.objects.filter(pk=job.pk).exists()  # asking is not deleting
    assert client.post(delete).status_code == 302
    assert not Task.objects.filter(pk=job.pk).exists()


def test_others_tasks_are_403_and_the_practice_manager_may_change_them(client, universe):
    job = task(universe, "Someone's task", owner="receptionist", by="receptionist")
    urls = [reverse(name, args=["A00001", job.pk]) for name in ("teamwork:task-edit", "teamwork:task-delete")]
    client = signed_in(client, universe, "pharmacist")
    assert [client.get(url).status_code for url in urls] == [403, 403]
    assert client.post(reverse("teamwork:task-complete", args=["A00001", job.pk])).status_code == 403
    client = signed_in(client, universe, "practice_manager")
    assert [client.get(url).status_code for url in urls] == [200, 200]
    job.refresh_from_db()
    assert job.status == "todo"


def test_a_task_of_another_practice_is_not_found_under_this_practice(client, universe):
    theirs = task(universe, "Theirs", owner="other_gp", by="other_gp", practice=universe.sibling_practice)
    client = signed_in(client, universe, "practice_manager")
    assert client.get(reverse("teamwork:task-edit", args=["A00001", theirs.pk])).status_code == 404


# --- Overdue tasks on the practice dashboard ----------------------------------------------------------


def test_the_dashboard_shows_the_practices_overdue_tasks(client, universe):
    task(universe, "Overdue recall letters", owner="practice_nurse", due=-2)
    task(universe, "Not due yet", due=5)
    done = task(universe, "Overdue but done", due=-9)
    actions.complete_task(task=done, by=universe.people["receptionist"])
    task(universe, "Hill Street overdue", owner="other_gp", by="other_gp", due=-4, practice=universe.sibling_practice)
    page = text(
        signed_in(client, universe, "patient_representative").get(reverse("dashboard:practice", args=["A00001"]))
    )
    assert "1 overdue task" in page
    assert "Overdue recall letters" in page and "Practice Nurse" in page
    assert "Not due yet" not in page and "Overdue but done" not in page and "Hill Street" not in page
    assert page.index("<h1>Practice dashboard</h1>") < page.index("overdue task")
    assert reverse("teamwork:tasks", args=["A00001"]) in page


def test_the_dashboard_says_nothing_when_nothing_is_overdue(client, universe):
    task(universe, "Not due yet", due=5)
    page = text(signed_in(client, universe, "gp").get(reverse("dashboard:practice", args=["A00001"])))
    assert "overdue task" not in page


# --- Protected QI time ---------------------------------------------------------------------------------


def test_recording_time_and_a_bad_entry(client, universe):
    client = signed_in(client, universe, "health_secretary")
    url = reverse("teamwork:time-create", args=["A00001"])
    assert "Minutes spent" in text(client.get(url))
    bad = client.post(url, {"minutes": "0", "meeting": ""} | typed("spent_on", 1, 13, 2026))
    assert bad.status_code == 400
    page = text(bad)
    assert '<a href="#id_spent_on">Date must be a real date, for example 31 3 2027</a>' in page
    assert '<a href="#id_minutes">Enter the minutes spent as a whole number greater than 0</a>' in page
    assert '<a href="#id_project">Choose the project the time was for, or name the meeting</a>' in page
    assert not TimeEntry.objects.exists()
    future = client.post(url, {"minutes": "30", "meeting": "x"} | on("spent_on", TODAY + timedelta(days=2)))
    assert "in the future" in text(future)
    good = client.post(url, {"minutes": "30", "meeting": "Monthly QI huddle"} | typed("spent_on", 4, 5, 2026))
    assert good.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.role, entry.meeting) == (30, "health_secretary", "Monthly QI huddle")


def spend(universe, who, day, minutes, **extra):
    return actions.record_time(
        practice=universe.practice,
        by=universe.people[who],
        spent_on=day,
        minutes=minutes,
        meeting="QI meeting",
        **extra,
    )


@pytest.fixture
def hand_made_time(universe):
    """January: GP 90 + 30, nurse 48; February: nothing; March: receptionist 60, then (as a health secretary) 42."""
    spend(universe, "gp", date(2026, 1, 5), 90)
    spend(universe, "gp", date(2026, 1, 31), 30)
    spend(universe, "practice_nurse", date(2026, 1, 10), 48)
    spend(universe, "receptionist", date(2026, 3, 2), 60)
    change_role(
        membership=Membership.objects.get(user=universe.people["receptionist"]), role="health_secretary", by=None
    )
    spend(universe, "receptionist", date(2026, 3, 20), 42)
    # Another practice's time never counts here.
    actions.record_time(
        practice=universe.sibling_practice,
        by=universe.people["other_gp"],
        spent_on=date(2026, 1, 6),
        minutes=600,
        meeting="x",
    )
    return universe


def test_totals_by_role_and_month_from_hand_made_entries(hand_made_time):
    figures = practice_totals(hand_made_time.practice)
    assert figures.months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert figures.roles == ["gp", "practice_nurse", "receptionist", "health_secretary"]
    assert figures.minutes == {
        (date(2026, 1, 1), "gp"): 120,
        (date(2026, 1, 1), "practice_nurse"): 48,
        (date(2026, 3, 1), "receptionist"): 60,
        (date(2026, 3, 1), "health_secretary"): 42,
    }
    assert [figures.month_total(m) for m in figures.months] == [168, 0, 102]
    assert figures.total == 270


def test_the_time_page_shows_the_table_chart_and_csv(client, hand_made_time):
    response = signed_in(client, hand_made_time, "gp").get(reverse("teamwork:time", args=["A00001"]))
    page = text(response)
    table = page[page.index("QI hours by month and role</caption>") :]
    table = re.sub(r"<[^>]+>", " ", table[: table.index("</table>")])
    assert re.sub(r"\s+", " ", table).split("Month January 2026")[1].split("Month February")[0].split() == [
        "GP", "2.0", "Practice", "nurse", "0.8", "Receptionist", "/", "care", "navigator", "0.0",
        "Health", "secretary", "0.0", "All", "roles", "2.8",
    ]  # fmt: skip
    assert "All months" in table and "4.5" in table
    spec = json.loads(response.context["chart"].spec_json)
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["stack"] == "zero"
    assert sum(v["hours"] for v in spec["data"]["values"]) == pytest.approx(4.5)
    assert spec["encoding"]["x"]["sort"] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert 'data-vega-spec="chart-qi-time-spec"' in page
    assert "4.5 hours of QI time recorded from January 2026 to March 2026" in page


def test_the_csv_has_one_row_per_month_and_role_with_time(client, hand_made_time):
    response = signed_in(client, hand_made_time, "receptionist").get(reverse("teamwork:time-csv", args=["A00001"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "month,role,role_label,minutes,hours",
        "2026-01,gp,GP,120,2.00",
        "2026-01,practice_nurse,Practice nurse,48,0.80",
        "2026-03,receptionist,Receptionist / care navigator,60,1.00",
        "2026-03,health_secretary,Health secretary,42,0.70",
    ]


def test_each_person_sees_their_own_entries_and_the_manager_sees_everyones(client, hand_made_time):
    url = reverse("teamwork:time", args=["A00001"])
    gp_page = text(signed_in(client, hand_made_time, "gp").get(url))
    assert gp_page.count("/qi-time/") - gp_page.count("/qi-time/new/") - gp_page.count("totals.csv") == 4  # 2 entries
    manager_page = text(signed_in(client, hand_made_time, "practice_manager").get(url))
    assert "Time recorded by the team" in manager_page and "Practice Nurse (Practice nurse)" in manager_page


def test_someone_elses_time_is_403_to_edit(client, hand_made_time):
    entry = TimeEntry.objects.get(user=hand_made_time.people["practice_nurse"])
    url = reverse("teamwork:time-edit", args=["A00001", entry.pk])
    assert (
        signed_in(client, hand_made_time, "gp")
        .post(url, {"minutes": "600", "meeting": "x"} | typed("spent_on", 10, 1, 2026))
        .status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.minutes == 48
    assert signed_in(client, hand_made_time, "practice_manager").get(url).status_code == 200


def test_deleting_time_asks_first(client, hand_made_time):
    entry = TimeEntry.objects.get(user=hand_made_time.people["practice_nurse"])
    client = signed_in(client, hand_made_time, "practice_nurse")
    url = reverse("teamwork:time-delete", args=["A00001", entry.pk])
    assert "Delete 48 minutes on 10 January 2026?" in text(client.get(url))
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
    assert client.post(url).status_code == 302
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()


def test_totals_fill_gaps_and_skip_zero_rows():
    rows = [(date(2025, 11, 3), "gp", 30), (date(2026, 2, 1), "pharmacist", 15), (date(2025, 12, 9), "gp", 0)]
    figures = totals.by_role_and_month(rows)
    assert figures.months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert figures.roles == ["gp", "pharmacist"]
    assert totals.by_role_and_month([]).is_empty
    assert totals.sentence(totals.by_role_and_month([])) == "No QI time has been recorded yet."


def test_hours_round_halves_up_and_the_chart_keeps_empty_months():
    assert [totals.hours(m) for m in (45, 90, 135, 3)] == ["0.8", "1.5", "2.3", "0.1"]
    figures = totals.by_role_and_month([(date(2026, 1, 5), "gp", 60), (date(2026, 3, 5), "gp", 30)])
    spec = totals.chart_spec(figures)
    assert spec["encoding"]["x"]["scale"]["domain"] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert [v["month"] for v in spec["data"]["values"]] == ["Jan 2026", "Mar 2026"]


def test_the_project_tasks_tag_lists_open_tasks_and_links_to_add_one(rf, universe):
    from django.template import Context, Template

    project = Project.objects.create(practice=universe.practice, title="Continuity for frail patients")
    other = Project.objects.create(practice=universe.practice, title="Other")
    task(universe, "Name a usual GP for each", project=project, due=-1)
    task(universe, "Other project's task", project=other)
    finished = task(universe, "Finished", project=project)
    actions.complete_task(task=finished, by=universe.people["receptionist"])
    template = Template("{% load teamwork_tags %}{% project_tasks project %}")

    def render(who):
        request = rf.get("/practices/A00001/projects/1/")
        request.user = universe.people[who]
        return re.sub(r"\s+", " ", template.render(Context({"request": request, "project": project})))

    page = render("receptionist")
    assert "Name a usual GP for each" in page and "Overdue" in page
    assert "Other project" not in page and "Finished" not in page
    query = f"project={project.pk}&amp;next=%2Fpractices%2FA00001%2Fprojects%2F1%2F"
    assert f'href="{reverse("teamwork:task-create", args=["A00001"])}?{query}"' in page
    assert "Record QI time for this project" in page
    assert render("network_qi_lead").strip() == ""  # a practice's tasks are its own
    assert render("other_gp").strip() == ""


def test_adding_a_task_from_a_cycle_prefills_it_and_returns_to_the_page(client, universe):
    from qiloop_web.projects.models import PdsaCycle

    project = Project.objects.create(practice=universe.practice, title="Fewer DNAs")
    cycle = PdsaCycle.objects.create(project=project, title="Reminder texts")
    client = signed_in(client, universe, "receptionist")
    back = "/practices/A00001/projects/"
    url = f"{reverse('teamwork:task-create', args=['A00001'])}?project={project.pk}&cycle={cycle.pk}&next={back}"
    form = text(client.get(url))
    assert f'<option value="{project.pk}" selected>Fewer DNAs</option>' in form
    assert f'<option value="{cycle.pk}" selected>Fewer DNAs: Reminder texts</option>' in form
    data = {"title": "Send the texts", "owner": universe.people["receptionist"].pk, "status": "todo"}
    data |= typed("due_on", 1, 2, 2027) | {"project": project.pk, "pdsa_cycle": cycle.pk, "next": back}
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == back
    assert Task.objects.get().pdsa_cycle == cycle
    outside = client.post(url, data | {"next": "https://example.com/"})
    assert outside.url == reverse("teamwork:tasks", args=["A00001"])


@pytest.mark.parametrize("count", [1, 20])
def test_the_task_list_asks_the_database_a_fixed_number_of_times(
    client, universe, count, django_assert_max_num_queries
):
    for number in range(count):
        task(universe, f"Task {number}", due=number - 5)
    client = signed_in(client, universe, "practice_manager")
    with django_assert_max_num_queries(9):
        response = client.get(reverse("teamwork:tasks", args=["A00001"]))
    assert text(response).count("Mark as done") == count


def test_a_network_lead_is_refused_a_practices_tasks_and_qi_time(client, universe):
    for name in ("teamwork:tasks", "teamwork:time", "teamwork:time-csv"):
        response = signed_in(client, universe, "network_qi_lead").get(reverse(name, args=["A00001"]))
        assert response.status_code == 403 and "Riverside" not in text(response), name
        assert signed_in(client, universe, "receptionist").get(reverse(name, args=["A00001"])).status_code == 200
