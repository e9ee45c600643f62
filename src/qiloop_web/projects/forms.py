"""Forms for the project pages. They check what a form can; the actions check the rest (and say so)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from qiloop.improvement.aims import PROMPT_HOW_MUCH, PROMPT_WHAT, check_aim
from qiloop.measures import all_measures
from qiloop.measures.library.describe import TOPIC_NAMES
from qiloop_web.projects.models import FishboneCategory, MeasureRole, NodeKind, Status
from qiloop_web.ui.text_safety import TextSafetyMixin


def _choices(pairs: list[tuple[str, str]], prompt: str) -> list[tuple[str, str]]:
    return [("", prompt), *pairs]


class NewProjectForm(TextSafetyMixin, forms.Form):
    template = forms.ChoiceField(
        label="Start from",
        required=False,
        widget=forms.RadioSelect,
        help_text="A template fills in the aim, measures and change ideas of a small project; you can change them all.",
    )
    title = forms.CharField(
        label="Project title",
        max_length=200,
        required=False,
        help_text="For example, 'Fewer missed appointments'. Leave it empty to use the template's title.",
    )

    def __init__(self, *args: Any, templates: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.templates = templates
        self.fields["template"].choices = [("", "A blank project")] + [(t.key, t.title) for t in templates]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("template") and not (cleaned.get("title") or "").strip():
            self.add_error("title", "Enter a title for the project, or choose a template")
        return cleaned


class AimForm(TextSafetyMixin, forms.Form):
    title = forms.CharField(
        label="Project title", max_length=200, error_messages={"required": "Enter a title for the project"}
    )
    what = forms.CharField(
        label="What are you trying to improve, and for whom?",
        max_length=300,
        required=False,
        help_text="For example, 'Reduce missed appointments for adults'.",
    )
    how_much = forms.CharField(
        label="By how much?",
        max_length=200,
        required=False,
        help_text="A number you can check, for example 'from 8% to 4%' or 'halve'.",
    )
    by_when = forms.CharField(
        label="By when?",
        max_length=40,
        required=False,
        help_text="A date, for example '31 March 2027' or 'March 2027'.",
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        check = check_aim(
            cleaned.get("what", ""), cleaned.get("how_much", ""), cleaned.get("by_when") or None, today=self.today
        )
        # Each prompt goes beside the part it is about, so the error summary links to it.
        for prompt in check.missing:
            if prompt == PROMPT_WHAT:
                self.add_error("what", prompt)
            elif prompt == PROMPT_HOW_MUCH:
                self.add_error("how_much", prompt)
            else:
                self.add_error("by_when", prompt)
        cleaned["by_date"] = check.by_date
        return cleaned


def initial_by_when(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


class StatusForm(TextSafetyMixin, forms.Form):
    status = forms.ChoiceField(label="New status", widget=forms.RadioSelect)
    reflection = forms.CharField(
        label="Closing reflection",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Needed to close the project: what did the team learn, what changed, and what happens now?",
    )

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, Status(s).label) for s in statuses]
        self.fields["status"].error_messages["required"] = "Choose the project's new status"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == Status.CLOSED and not (cleaned.get("reflection") or "").strip():
            self.add_error("reflection", "Write a closing reflection: what did the team learn, and what happens now?")
        return cleaned


class MemberForm(TextSafetyMixin, forms.Form):
    user = forms.ChoiceField(label="Person", error_messages={"required": "Choose someone from the practice"})
    role_in_project = forms.CharField(
        label="Their part in the project",
        max_length=100,
        initial="member",
        help_text="For example 'lead', 'member', 'patient voice' or 'data'.",
        error_messages={"required": "Say what their part in the project is, for example 'member'"},
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = _choices(people, "Choose a person")


def library_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The library's measures by topic (option groups), each topic's measures by title."""
    by_topic: dict[str, list[tuple[str, str]]] = {}
    for measure in all_measures().values():
        by_topic.setdefault(TOPIC_NAMES.get(measure.topic, measure.topic or "Other"), []).append(
            (measure.id, measure.title)
        )
    return [(topic, sorted(pairs, key=lambda pair: pair[1])) for topic, pairs in sorted(by_topic.items())]


class MeasureForm(TextSafetyMixin, forms.Form):
    role = forms.ChoiceField(
        label="Kind of measure",
        choices=MeasureRole.choices,
        widget=forms.RadioSelect,
        help_text="Outcome: is the aim met? Process: are we doing what we planned? "
        "Balancing: is something else getting worse?",
        error_messages={"required": "Choose outcome, process or balancing"},
    )
    library_measure_id = forms.ChoiceField(
        label="Where the data come from",
        required=False,
        help_text="A measure from the practice's records is charted month by month from the results; "
        "a series entered by hand (for example weekly counts) is typed in by the team.",
    )
    title = forms.CharField(
        label="Name of the measure",
        max_length=200,
        required=False,
        help_text="Leave it empty for a library measure to use the library's name.",
    )
    unit = forms.CharField(
        label="Unit", max_length=50, required=False, help_text="For example '%', 'appointments' or 'days'."
    )
    low_is_good = forms.BooleanField(label="Lower is better", required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["library_measure_id"]
        else:
            manual: list[Any] = [("", "A series the team enters by hand")]
            self.fields["library_measure_id"].choices = manual + library_choices()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("library_measure_id") and not (cleaned.get("title") or "").strip():
            self.add_error("title", "Enter a name for the measure the team will enter by hand")
        return cleaned


class PointForm(TextSafetyMixin, forms.Form):
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day (or the first day of the week or month) the point is for.",
        error_messages={"required": "Enter the date of the point", "invalid": "Enter a real date, like 2026-11-02"},
    )
    value = forms.CharField(
        label="Value", required=False, help_text="A count or a figure. Or give a numerator and denominator below."
    )
    numerator = forms.CharField(label="Numerator (optional)", required=False)
    denominator = forms.CharField(
        label="Denominator (optional)",
        required=False,
        help_text="The value is then the percentage numerator/denominator.",
    )
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)


class PointsForm(TextSafetyMixin, forms.Form):
    points = forms.CharField(
        label="Points, one a line",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="A date and a value, or a date and numerator/denominator, and a note if you like, "
        "separated by commas: '2026-10-05, 12' or '05/10/2026, 40/50, half-day closure'. "
        "You can paste two columns from a spreadsheet.",
        error_messages={"required": "Paste at least one line: a date and a value, like 2026-10-05, 12"},
    )

    def text_safety_texts(self) -> list[tuple[str, str, str, list[tuple[int, int]]]]:
        """The pasted text, leaving out each line's first column (the point's date, not a date of birth)."""
        texts = super().text_safety_texts()
        if not texts:
            return texts
        name, label, text, _ = texts[0]
        dates, offset = [], 0
        for line in text.splitlines(keepends=True):
            separator = "\t" if "\t" in line else ","
            dates.append((offset, offset + (line.index(separator) if separator in line else len(line))))
            offset += len(line)
        return [(name, label, text, dates)]


class DriverNodeForm(TextSafetyMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What are you adding?",
        choices=NodeKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a primary driver, a secondary driver or a change idea"},
    )
    parent = forms.ChoiceField(
        label="Beneath",
        required=False,
        help_text="Primary drivers hang from the aim; secondary drivers from a primary driver; "
        "change ideas from a primary or secondary driver.",
    )
    text = forms.CharField(
        label="Text",
        max_length=300,
        error_messages={"required": "Enter the driver or change idea"},
    )

    def __init__(self, *args: Any, parents: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "The aim (for a primary driver)"), *parents]


class NodeTextForm(TextSafetyMixin, forms.Form):
    text = forms.CharField(label="Text", max_length=300, error_messages={"required": "Enter the text"})


class CauseForm(TextSafetyMixin, forms.Form):
    category = forms.ChoiceField(
        label="Category",
        choices=_choices(FishboneCategory.choices, "Choose a category"),
        error_messages={"required": "Choose a category for the cause"},
    )
    text = forms.CharField(label="Cause", max_length=300, error_messages={"required": "Enter the cause"})


class StepForm(TextSafetyMixin, forms.Form):
    text = forms.CharField(
        label="What happens", max_length=300, error_messages={"required": "Enter what happens at this step"}
    )
    owner = forms.CharField(
        label="Who does it (optional)", max_length=100, required=False, help_text="A role, for example 'reception'."
    )
    pain_point = forms.CharField(
        label="Pain point (optional)",
        max_length=300,
        required=False,
        help_text="What goes wrong or waits here, for example 'requests wait 2 days for a GP to sign'.",
    )
