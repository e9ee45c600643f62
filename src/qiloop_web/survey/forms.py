"""Forms: opening a round, and the questionnaire built from the instrument (one field per question or grid row).

The questionnaire's only free-text field ("what would help most?") goes through the shared free-text safety
check (``TextSafetyMixin``); every other field is a choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone

from qiloop.survey.instrument import FREE_TEXT, GRID, MULTI, QUESTIONS, SINGLE, TEXT, Question
from qiloop_web.survey.actions import MAX_FREE_TEXT
from qiloop_web.ui.text_safety import TextSafetyMixin


class RoundForm(TextSafetyMixin, forms.Form):
    title = forms.CharField(
        label="Name of the round", max_length=200, help_text="For example, Staff QI survey, spring 2027."
    )
    closes_on = forms.DateField(
        label="Closing date",
        help_text="For example, 31 3 2027 or 2027-03-31. Staff can answer until the end of this day.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["closes_on"].initial = timezone.localdate() + timezone.timedelta(days=21)


@dataclass
class Block:
    """One question on the page: its fields (one, or one per grid row)."""

    question: Question
    fields: list[forms.BoundField]


def grid_field(question_id: str, statement: str) -> str:
    return f"{question_id}__{statement}"


class QuestionnaireForm(TextSafetyMixin, forms.Form):
    """Every question of the instrument; nothing is required (an incomplete answer is allowed, and said so)."""

    # The second button, shown once the page has said what is left: send the answers as they are.
    send_as_is = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            if question.kind == SINGLE:
                self.fields[question.id] = forms.ChoiceField(
                    label=question.text,
                    choices=[(o.value, o.label) for o in question.options],
                    required=False,
                    widget=forms.RadioSelect,
                    help_text=question.hint,
                )
            elif question.kind == MULTI:
                self.fields[question.id] = forms.MultipleChoiceField(
                    label=question.text,
                    choices=[(o.value, o.label) for o in question.options],
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=question.hint,
                )
            elif question.kind == GRID:
                for statement in question.statements:
                    self.fields[grid_field(question.id, statement.value)] = forms.ChoiceField(
                        label=statement.label,
                        choices=[(o.value, o.label) for o in question.options],
                        required=False,
                        widget=forms.RadioSelect,
                    )
            elif question.kind == TEXT:
                self.fields[question.id] = forms.CharField(
                    label=question.text,
                    required=False,
                    max_length=MAX_FREE_TEXT,
                    widget=forms.Textarea(attrs={"rows": 4}),
                    help_text=question.hint,
                )

    def blocks(self) -> list[Block]:
        found = []
        for question in QUESTIONS:
            if question.kind == GRID:
                names = [grid_field(question.id, s.value) for s in question.statements]
            else:
                names = [question.id]
            found.append(Block(question, [self[name] for name in names]))
        return found

    def answers(self) -> dict[str, Any]:
        """The cleaned answers as the instrument's dict (grids gathered), without the free text."""
        answers: dict[str, Any] = {}
        for question in QUESTIONS:
            if question.kind == GRID:
                answers[question.id] = {
                    s.value: self.cleaned_data.get(grid_field(question.id, s.value))
                    for s in question.statements
                    if self.cleaned_data.get(grid_field(question.id, s.value))
                }
            elif question.kind != TEXT:
                answers[question.id] = self.cleaned_data.get(question.id)
        return answers

    @property
    def help_most(self) -> str:
        return str(self.cleaned_data.get(FREE_TEXT) or "")
