"""Forms for PDSA cycles: start a cycle, and one form per stage.

A stage's fields may be saved half-written (a draft); whether they are enough to move on is the
library's rule (``check_transition``), applied by the actions, so the forms require little themselves.
"""

from __future__ import annotations

from typing import Any

from django import forms

from qiloop.improvement.pdsa import Decision, Stage
from qiloop_web.projects.models import DriverNode, NodeKind, PdsaCycle, Project
from qiloop_web.ui.date_input import DayMonthYearField
from qiloop_web.ui.text_safety import TextSafetyMixin

TEXT = {"rows": 3}


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, max_length=4000, widget=forms.Textarea(attrs=TEXT)
    )


class CycleForm(TextSafetyMixin, forms.Form):
    title = forms.CharField(
        label="Title of the cycle",
        help_text="A few words for the test, for example 'Text reminders two days before, one GP's list'.",
        max_length=200,
        error_messages={"required": "Enter a title for the cycle."},
    )
    change_idea = forms.ModelChoiceField(
        label="The change idea it tests",
        help_text="From the project's driver diagram.",
        queryset=DriverNode.objects.none(),
        empty_label="Choose a change idea",
        error_messages={
            "required": "Choose the change idea this cycle tests.",
            "invalid_choice": "Choose one of the project's change ideas.",
        },
    )
    previous = forms.ModelChoiceField(
        label="Follows on from (optional)",
        help_text="Choose an earlier cycle to make this the next cycle in its ramp.",
        queryset=PdsaCycle.objects.none(),
        required=False,
        empty_label="No earlier cycle: a new ramp",
        error_messages={"invalid_choice": "Choose one of this project's decided cycles, or none."},
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["change_idea"].queryset = DriverNode.objects.filter(project=project, kind=NodeKind.CHANGE_IDEA)
        follow_on = PdsaCycle.objects.filter(project=project, stage__in=[Stage.ACT, Stage.DONE]).exclude(
            decision=Decision.ABANDON
        )
        self.fields["previous"].queryset = follow_on
        self.fields["previous"].label_from_instance = lambda cycle: cycle.title


class PlanForm(TextSafetyMixin, forms.Form):
    question = _text("The question this cycle answers", "For example 'Will a text reminder two days before cut DNAs?'")
    prediction = _text("What you predict will happen", "Say what you expect, with a number if you can.")
    who = _text("Who does what")
    when = _text("When")
    where = _text("Where")
    data_to_collect = _text("The data to collect", "What you will count or note, and how.")
    starts_on = DayMonthYearField(
        label="Date the test starts",
        help_text="Optional. For example 15 1 2026. It places the cycle on the project's charts; "
        "if you leave it empty, it is the day the cycle moves to Do.",
        required=False,
    )


class DoForm(TextSafetyMixin, forms.Form):
    what_happened = _text("What happened", "Did the test go as planned? What was different?")
    observations = _text("Observations", "What you noticed, problems met, anything unexpected.")


class StudyForm(TextSafetyMixin, forms.Form):
    results = _text(
        "Results against the prediction",
        "Compare what happened with what you predicted; the charts of the project's measures are beside this.",
    )


class ActForm(TextSafetyMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        help_text="Adopt: make it the way we work. Adapt: change it and test again. Abandon: stop and try another idea.",
        choices=[("", "Choose adopt, adapt or abandon")] + [(d.value, d.value.capitalize()) for d in Decision],
        required=False,
    )
    next_step = _text("The next step", "What the team does next, and who.")
    new_phase = forms.BooleanField(
        label="Start a new phase on the charts from this cycle's start (adopt only)",
        help_text="The adopted change is now how the practice works: its charts get a new centre line and limits.",
        required=False,
    )
    start_next = forms.BooleanField(label="Start the next cycle in this ramp now (adopt or adapt)", required=False)
    next_title = forms.CharField(
        label="Title of the next cycle (optional)",
        help_text="If left empty, this cycle's title followed by '(next cycle)'.",
        required=False,
        max_length=200,
    )


STAGE_FORMS: dict[Stage, type[forms.Form]] = {
    Stage.PLAN: PlanForm,
    Stage.DO: DoForm,
    Stage.STUDY: StudyForm,
    Stage.ACT: ActForm,
}


def stage_form(cycle: PdsaCycle, data: Any = None) -> forms.Form | None:
    """The form of the cycle's current stage, filled with what it records (None once done)."""
    form_class = STAGE_FORMS.get(Stage(cycle.stage))
    if form_class is None:
        return None
    initial = {name: getattr(cycle, name) for name in form_class.base_fields if hasattr(cycle, name)}
    return form_class(data, initial=initial, prefix=None)


# The inline message for a field the stage needs before the cycle can move on.
MISSING_MESSAGES = {
    "question": "Enter the question this cycle answers",
    "prediction": "Enter what you predict will happen",
    "who": "Enter who does what",
    "when": "Enter when the test happens",
    "where": "Enter where the test happens",
    "data_to_collect": "Enter the data to collect",
    "what_happened": "Enter what happened",
    "observations": "Enter what you observed",
    "results": "Enter the results against your prediction",
    "decision": "Choose adopt, adapt or abandon",
    "next_step": "Enter the next step",
}
