"""Forms for the clinical audit pages. Every free-text field goes through the shared text-safety check
(``TextSafetyMixin``); the actions check the audit's rules and say what to do."""

from __future__ import annotations

from typing import Any

from django import forms

from qiloop.audit.templates import TEMPLATES
from qiloop.measures import all_measures
from qiloop_web.audits.models import AuditCriterion, AuditReason, StandardKindChoice
from qiloop_web.organisations.models import Organisation
from qiloop_web.teamwork.forms import MemberChoiceField
from qiloop_web.ui.date_input import DayMonthYearField
from qiloop_web.ui.text_safety import TextSafetyMixin


def _date(label: str, what: str, **kwargs: Any) -> DayMonthYearField:
    return DayMonthYearField(label=label, error_messages={"required": f"Enter {what}"}, **kwargs)


def criterion_measures() -> list[tuple[str, str]]:
    """Library measures that can be criteria: high is good, patients over patients (audit variants included)."""
    from qiloop.audit.collect import criterion_measure
    from qiloop.errors import QiloopError

    out = []
    for measure_id, measure in all_measures().items():
        try:
            criterion_measure(measure)
        except QiloopError:
            continue
        out.append((measure_id, f"{measure.title} ({measure_id})"))
    return out


class NewAuditForm(TextSafetyMixin, forms.Form):
    template = forms.ChoiceField(label="Start from", required=False, widget=forms.RadioSelect)
    title = forms.CharField(label="Audit title", max_length=200, required=False,
                            help_text="Leave it empty to use the template's title.")  # fmt: skip
    reason = forms.ChoiceField(label="Why this audit?", required=False, choices=[("", "Choose a reason"),
                               *AuditReason.choices], help_text="A template chooses one; you can change it later.")  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "A blank audit")] + [(t.key, t.title) for t in TEMPLATES.values()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("template"):
            if not (cleaned.get("title") or "").strip():
                self.add_error("title", "Enter a title for the audit, or choose a template")
            if not cleaned.get("reason"):
                self.add_error("reason", "Choose why the audit was chosen")
        return cleaned


class PlanForm(TextSafetyMixin, forms.Form):
    title = forms.CharField(label="Audit title", max_length=200, error_messages={"required": "Enter a title"})
    reason = forms.ChoiceField(label="Why this audit?", choices=AuditReason.choices)
    reason_detail = forms.CharField(label="The reason in detail (optional)", required=False, max_length=2000,
                                    widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text="For example the guideline, or what the learning event showed. "
                                    "Never a patient's details.")  # fmt: skip
    preparation = forms.CharField(label="Preparation (optional)", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Who is involved, the patients included and the time frame.")  # fmt: skip


class CriterionForm(TextSafetyMixin, forms.Form):
    statement = forms.CharField(label="Criterion", max_length=400,
                                help_text="What good care is, for example 'Patients aged 65 and over on an oral NSAID "
                                "are prescribed gastro-protection'.",
                                error_messages={"required": "Enter the criterion"})  # fmt: skip
    reference = forms.CharField(label="Evidence reference", max_length=400,
                                help_text="The guideline and section, for example 'NICE NG115 section 1.2'.",
                                error_messages={"required": "Enter the evidence reference"})  # fmt: skip
    standard_percent = forms.FloatField(label="Standard (%)", min_value=0, max_value=100,
                                        help_text="The share of patients who should meet it, from 0 to 100.",
                                        error_messages={"required": "Enter the standard",
                                                        "invalid": "Enter the standard as a number, for example 90",
                                                        "min_value": "The standard must be from 0 to 100",
                                                        "max_value": "The standard must be from 0 to 100"})  # fmt: skip
    standard_kind = forms.ChoiceField(label="The standard is", choices=StandardKindChoice.choices, initial="minimum")
    measure_id = forms.ChoiceField(label="Source", required=False,
                                   help_text="A library measure computes the collection from the records; otherwise "
                                   "you enter the counts by hand.")  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["measure_id"].choices = [("", "Counts entered by hand"), *criterion_measures()]


class CollectionForm(forms.Form):
    """The date, and (met, eligible, excluded) for every criterion counted by hand (numbers only: no free text)."""

    def __init__(self, *args: Any, criteria: list[AuditCriterion], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reference_date"] = _date("Collection date", "the collection date",
                                              help_text="The date the records are read at, for example 31 3 2026.")  # fmt: skip
        self.manual = [c for c in criteria if not c.measure_id]
        for c in self.manual:
            for part, label in (("met", "met the criterion"), ("eligible", "were eligible"),
                                ("excluded", "were excluded (optional)")):  # fmt: skip
                self.fields[f"c{c.pk}_{part}"] = forms.IntegerField(
                    label=f"Criterion {c.number}: patients who {label}", min_value=0,
                    required=part != "excluded",
                    error_messages={"required": f"Criterion {c.number}: enter how many patients {label}",
                                    "invalid": f"Criterion {c.number}: enter a whole number",
                                    "min_value": f"Criterion {c.number}: a count cannot be negative"},
                )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for c in self.manual:
            met, eligible = cleaned.get(f"c{c.pk}_met"), cleaned.get(f"c{c.pk}_eligible")
            if met is not None and eligible is not None and met > eligible:
                self.add_error(f"c{c.pk}_met", f"Criterion {c.number}: {met} met but only {eligible} were eligible; "
                               "met cannot be more than eligible")  # fmt: skip
            if eligible == 0:
                self.add_error(f"c{c.pk}_eligible", f"Criterion {c.number}: no patients were eligible; choose "
                               "another date or criterion")  # fmt: skip
        return cleaned

    def manual_counts(self) -> dict[int, tuple[int, int, int]]:
        d = self.cleaned_data
        return {c.pk: (d[f"c{c.pk}_met"], d[f"c{c.pk}_eligible"], d.get(f"c{c.pk}_excluded") or 0) for c in self.manual}


class ChangeForm(TextSafetyMixin, forms.Form):
    description = forms.CharField(label="What did you change?", max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="For example 'A search each month and a prompt to add a PPI'.",
                                  error_messages={"required": "Enter what you changed"})  # fmt: skip

    def __init__(self, *args: Any, practice: Organisation, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["implemented_on"] = _date("Date the change started", "the date the change started",
                                              help_text="For example 1 4 2026.")  # fmt: skip
        self.fields["task_owner"] = MemberChoiceField(
            practice, label="Follow it up as a task for (optional)", required=False, empty_label="No task",
            help_text="Adds a task on the practice's task list, titled with the audit's title.",
        )  # fmt: skip


class ReauditForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["on"] = _date("Re-audit date", "the re-audit date",
                                  help_text="At least three months after the change, so it has time to show.")  # fmt: skip


class ConclusionForm(TextSafetyMixin, forms.Form):
    conclusion = forms.CharField(label="Conclusion: what did you learn?", max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 4}),
                                 error_messages={"required": "Enter the conclusion"})  # fmt: skip
    next_steps = forms.CharField(label="Next steps (optional)", max_length=4000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="For example another cycle, or when to audit again.")  # fmt: skip
