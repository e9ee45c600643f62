"""The free-text safety check on every workbench form (``qiloop.text_safety``), as one form mixin.

``class AimForm(TextSafetyMixin, forms.Form)`` checks every free-text field (every ``CharField`` the form
has, but those named in ``text_safety_exempt``) once the form's own validation has run:

- something that **blocks** (an NHS number, an e-mail address, a phone number) is an error on the field:
  the form is invalid and nothing is saved until it is removed;
- something that only **warns** (a date that could be a date of birth, a postcode, a title and a name,
  an age of 90 or over) is an error too, until the person ticks the confirmation box that
  ``{% nhsuk_field %}`` then shows beneath the first such field, and sends the form again. Text that comes
  back unchanged from the form's initial value (saved, and so confirmed, before) is not asked about again;
  a block is refused whenever it is there.

Messages name the field, the kind and the place (character and line), never the text; nothing is logged.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from qiloop.text_safety import Finding, check_text

CONFIRM_FIELD = "confirm_text_safety"
CONFIRM_LABEL = "I have checked: nothing I wrote here identifies a patient"
_YES = {"yes", "on", "true", "1"}


class TextSafetyMixin:
    """Check every free-text field of a Django form with ``qiloop.text_safety`` (see the module docstring)."""

    text_safety_exempt: tuple[str, ...] = ()
    # The field beneath which the confirmation box is shown: set when warnings (and no blocks) remain.
    text_safety_confirm_on: str | None = None

    # Provided by django.forms.Form.
    fields: dict[str, forms.Field]
    data: Any
    is_bound: bool
    cleaned_data: dict[str, Any]
    add_error: Any
    get_initial_for_field: Any

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        if self.is_bound and hasattr(self, "cleaned_data"):
            self._check_text_safety()

    def text_safety_texts(self) -> list[tuple[str, str, str, list[tuple[int, int]]]]:
        """What to check: (field name, the field's label, its text, spans of the text to leave out)."""
        texts = []
        for name, field in self.fields.items():
            if name in self.text_safety_exempt or not isinstance(field, forms.CharField):
                continue
            if isinstance(field, forms.EmailField):  # an address field is meant to hold an address
                continue
            value = self.cleaned_data.get(name)
            if isinstance(value, str) and value:
                texts.append((name, str(field.label or name), value, []))
        return texts

    def _unchanged(self, name: str) -> bool:
        before = self.get_initial_for_field(self.fields[name], name)
        return isinstance(before, str) and before.strip() == str(self.cleaned_data.get(name, "")).strip()

    def _check_text_safety(self) -> None:
        today = timezone.localdate()
        found: list[tuple[str, str, Finding]] = []
        for name, label, text, left_out in self.text_safety_texts():
            for finding in check_text(text, today=today):
                if not any(start <= finding.start and finding.end <= end for start, end in left_out):
                    found.append((name, label, finding))
        blocks = [item for item in found if item[2].blocks]
        # Text already saved (confirmed then) is not asked about again when it comes back unchanged.
        warned = [item for item in found if not item[2].blocks and not self._unchanged(item[0])]
        confirmed = str(self.data.get(CONFIRM_FIELD, "")).lower() in _YES
        for name, label, finding in blocks:
            self.add_error(name, finding.message(label))
        if warned and not confirmed:
            for name, label, finding in warned:
                self.add_error(name, finding.message(label))
            if not blocks:
                self.text_safety_confirm_on = warned[0][0]
