"""Forms for learning events. Every free-text field goes through the shared text-safety check (TextSafetyMixin).

The report form is short (ten fields, usable on a phone); the other forms are the sections of the event
page: details (the rest of the LFPSE answers), triage, analysis (with the chosen response's questions),
change, an agreed action, review and sharing. Coded answers are the LFPSE v5 national codes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from qiloop.learning import taxonomy
from qiloop.learning.responses import RESPONSES
from qiloop.learning.workflow import AnswerError, event_date
from qiloop_web.learning.models import LearningEvent, LfpseStatus
from qiloop_web.organisations.models import Organisation
from qiloop_web.teamwork.forms import MemberChoiceField
from qiloop_web.ui.date_input import DayMonthYearField
from qiloop_web.ui.text_safety import TextSafetyMixin

CHOOSE = ("", "Choose one")
NOT_KNOWN = ("", "Not answered")


def _choice(
    vs: taxonomy.ValueSet, label: str, *, required: bool = False, blank: tuple[str, str] = NOT_KNOWN, **kwargs: Any
) -> forms.ChoiceField:
    return forms.ChoiceField(
        **kwargs,
        label=label,
        choices=[blank, *vs.choices()],
        required=required,
        error_messages={
            "required": f"Choose {label.lower()}",
            "invalid_choice": f"Choose {label.lower()} from the list",
        },
    )


def _text(
    label: str, *, required: bool = False, rows: int = 3, max_length: int | None = None, **kwargs: Any
) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=widget,
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}".rstrip("?"),
            "max_length": f"Keep {label[0].lower()}{label[1:].rstrip('?')} to {max_length} characters or fewer",
        },
        **kwargs,
    )


def _checkboxes(choices: list[tuple[str, str]], label: str, **kwargs: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": f"Choose {label.lower()} from the list"},
        **kwargs,
    )


def _yes_no(label: str, **kwargs: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "Not decided yet"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        required=False,
        **kwargs,
    )


class EventDateField(DayMonthYearField):
    """Day, month and year, the day optional (an approximate date): returns the parts; the form makes the date."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, date) or value is None:
            return value
        parts = [str(part or "").strip() for part in value]
        if not any(parts):
            return None
        if not all(part.isdigit() for part in parts if part):
            raise forms.ValidationError("When it happened must be in numbers, for example 14 3 2026", code="invalid")
        return tuple(int(part) if part else None for part in parts)

    def prepare_value(self, value: Any) -> tuple[str, str, str]:
        if isinstance(value, date):
            return str(value.day), str(value.month), str(value.year)
        if isinstance(value, (list, tuple)) and len(value) == 3:
            return tuple("" if part is None else str(part) for part in value)  # type: ignore[return-value]
        return "", "", ""

    def has_changed(self, initial: Any, data: Any) -> bool:
        return True


class _EventDateMixin:
    """Turns the date parts and the "not sure of the day" box into ``occurred_on`` (qiloop.learning.workflow)."""

    cleaned_data: dict[str, Any]
    add_error: Any

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        parts = cleaned.get("occurred_on")
        if isinstance(parts, tuple):
            day, month, year = parts
            try:
                cleaned["occurred_on"], _ = event_date(
                    day=day,
                    month=month,
                    year=year,
                    approximate=bool(cleaned.get("date_approximate")),
                    today=timezone.localdate(),
                )
            except AnswerError as problem:
                self.add_error("occurred_on", problem.problems[0].message)
        return cleaned


def _occurred_field() -> EventDateField:
    return EventDateField(
        label="When did it happen?",
        help_text="For example, 14 3 2026. Leave the day empty if you are not sure of it.",
        error_messages={"required": "Enter when it happened"},
    )


class ReportForm(_EventDateMixin, TextSafetyMixin, forms.Form):
    """The short report: ten fields, two minutes, any practice member but a patient representative."""

    title = forms.CharField(
        label="Short title",
        max_length=120,
        help_text="A few words the team will recognise. No names or other details that identify anyone.",
        error_messages={"required": "Enter a short title", "max_length": "Keep the title to 120 characters or fewer"},
    )
    event_type = _choice(taxonomy.EVENT_TYPES, "Type of event", required=True, blank=CHOOSE)
    occurred_on = _occurred_field()
    date_approximate = forms.BooleanField(label="I'm not sure of the exact day", required=False)
    location = _choice(taxonomy.LOCATION, "Where did it happen?", required=True, blank=CHOOSE)
    process = _choice(taxonomy.HEALTHCARE_PROCESS, "Which part of care was it in?", required=True, blank=CHOOSE)
    description = _text(
        "What happened?",
        required=True,
        rows=5,
        help_text="Describe what happened, without names, NHS numbers, dates of birth or addresses.",
    )
    physical_harm = _choice(
        taxonomy.PHYSICAL_HARM, "Physical harm", help_text="For a patient safety incident. A near miss is no harm."
    )
    psychological_harm = _choice(taxonomy.PSYCHOLOGICAL_HARM, "Psychological harm")
    restricted = forms.BooleanField(
        label="This is about a member of staff",
        required=False,
        help_text="Only the practice manager, the GPs and you will see it.",
    )


class DetailsForm(ReportForm):
    """The whole report with the rest of the LFPSE answers (completed at triage)."""

    immediate_actions = _text("What was done straight away to reduce harm?")
    involved_agents = _checkboxes(taxonomy.INVOLVED_AGENTS.choices(), "What was involved?")
    medicines_involved = _text("Medicines involved", rows=0, max_length=300)
    clinical_outcome = _text("What was the clinical outcome for the patient?")
    strength_of_association = _choice(
        taxonomy.STRENGTH_OF_ASSOCIATION, "How far did the care affect the outcome? (poor patient outcome)"
    )
    patients_affected = forms.IntegerField(
        label="How many patients were involved?",
        required=False,
        min_value=0,
        max_value=100000,
        error_messages={"invalid": "Enter the number of patients as a whole number"},
    )
    age_bracket = _choice(taxonomy.AGE_BRACKETS, "Age range (one patient)")
    risk_theme = _choice(taxonomy.RISK_THEMES, "Theme of the risk (risk events)")
    risk_imminent = _choice(taxonomy.YES_NO_UNKNOWN, "Is there an imminent risk of severe harm or death? (risk events)")
    risk_timeframe = _choice(taxonomy.RISK_TIMEFRAMES, "When is the risk most likely to cause harm? (risk events)")
    strengths_of_care = _text("What went well? (good care)")
    how_to_repeat = _text("How could it happen again? (good care)")
    reporter_involvement = _choice(taxonomy.REPORTER_INVOLVEMENT, "The reporter's relationship to the event")
    level_of_concern = _choice(taxonomy.LEVEL_OF_CONCERN, "How concerned is the reporter?")


class TriageForm(TextSafetyMixin, forms.Form):
    response_type = forms.ChoiceField(
        label="Learning response",
        choices=[("", "Not chosen yet"), *[(k, r.label) for k, r in RESPONSES.items()]],
        required=False,
        help_text="Proportionate to what the event can teach, not to how bad it was.",
    )
    duty_of_candour = _yes_no("Does the duty of candour apply?", help_text="Required when harm is moderate or worse.")
    cqc_notifiable = _yes_no("Must CQC be notified?", help_text="Required when harm is moderate or worse.")
    cqc_criteria = _checkboxes(taxonomy.CQC_CRITERIA.choices(), "CQC notification criteria")
    lfpse_status = forms.ChoiceField(label="LFPSE", choices=LfpseStatus.choices, initial=LfpseStatus.NOT_REQUIRED)
    lfpse_reference = forms.CharField(label="LFPSE reference (once recorded)", required=False, max_length=40)
    closure_reason = forms.CharField(
        label="Reason for closing at triage (only if closing now)",
        required=False,
        max_length=200,
        help_text="For example “logged for thematic review” or “duplicate”.",
    )


class AnalysisForm(TextSafetyMixin, forms.Form):
    what_happened = _text("What happened? (the team's account)", rows=4)
    why = _text("Why did it happen?", rows=4, help_text="The reasons behind it, not who was to blame.")
    factors = _checkboxes(
        [(f.key, f.label) for f in taxonomy.FACTOR_CATEGORIES],
        "Contributory factors",
        help_text="At least one. The SEIPS work system: person, tasks, tools, organisation, environment; "
        "plus communication.",
    )
    what_learned = _text("What has been learned?", rows=4)
    meeting_on = DayMonthYearField(label="Date the team met", required=False, help_text="For example, 14 3 2026")

    def __init__(self, *args: Any, event: LearningEvent, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.prompt_keys: list[str] = []
        response = event.response
        if response is not None:
            for prompt in response.prompts:
                name = f"prompt_{prompt.key}"
                self.fields[name] = _text(prompt.question, help_text=prompt.hint or None)
                self.initial.setdefault(name, (event.prompt_answers or {}).get(prompt.key, ""))
                self.prompt_keys.append(prompt.key)
            if not response.needs_meeting:
                del self.fields["meeting_on"]

    def changes(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("prompt_")}
        data["prompt_answers"] = {key: self.cleaned_data.get(f"prompt_{key}", "") for key in self.prompt_keys}
        return data


class ChangeForm(TextSafetyMixin, forms.Form):
    what_changed = _text(
        "What has changed?", rows=4, help_text="Add each change as an action with an owner and a due date."
    )
    no_change_reason = _text("Or: why does nothing need to change?", rows=3)
    review_due = DayMonthYearField(
        label="Review date", required=False, help_text="When will you check the change has stuck? Usually 3 months."
    )


class ActionForm(TextSafetyMixin, forms.Form):
    title = forms.CharField(
        label="Change to make",
        max_length=200,
        error_messages={"required": "Enter the change to make", "max_length": "Keep it to 200 characters or fewer"},
    )
    due_on = DayMonthYearField(
        label="Due date", help_text="For example, 31 3 2027", error_messages={"required": "Enter the due date"}
    )

    def __init__(self, *args: Any, practice: Organisation, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(
            practice,
            label="Who will do it",
            empty_label="Choose a person",
            error_messages={"required": "Choose who will do it", "invalid_choice": "Choose someone in this practice"},
        )
        self.order_fields(["title", "owner", "due_on"])


def _measure_choices() -> list[tuple[str, str]]:
    from qiloop.measures import all_measures

    return [("", "None")] + sorted(((key, m.title) for key, m in all_measures().items()), key=lambda kv: kv[1])


class ReviewForm(TextSafetyMixin, forms.Form):
    reviewed_on = DayMonthYearField(label="Date of the review", required=False, help_text="For example, 14 6 2026")
    review_outcome = _text("Did the change stick?", rows=4, help_text="What you checked and what you found.")
    review_measure_id = forms.ChoiceField(
        label="A measure that shows it (optional)",
        required=False,
        help_text="Its chart's verdict for this practice is shown beside the review.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["review_measure_id"].choices = _measure_choices()  # type: ignore[attr-defined]


class SharingForm(TextSafetyMixin, forms.Form):
    share_learning = forms.BooleanField(
        label="Share this learning with our network",
        required=False,
        help_text="Only the summary below is shared, without the practice's name or the event's details.",
    )
    learning_summary = _text("Learning summary", rows=4, max_length=500)


class ThemeForm(forms.Form):
    start = DayMonthYearField(label="From", required=False, help_text="Empty: a year ago")
    end = DayMonthYearField(label="To", required=False, help_text="Empty: today")
    process = forms.ChoiceField(
        label="Events in this part of care (for the chart of days between events)",
        choices=[("", "All events"), *taxonomy.HEALTHCARE_PROCESS.choices()],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The period ends before it starts: choose an end date on or after the start.")
        return cleaned


SECTION_FORMS: dict[str, type[forms.Form]] = {
    "details": DetailsForm,
    "triage": TriageForm,
    "analysis": AnalysisForm,
    "change": ChangeForm,
    "review": ReviewForm,
    "sharing": SharingForm,
}
