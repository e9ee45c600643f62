"""The NHS date input (day, month and year in three boxes) as a Django form field.

People type dates the way they say them ("31 3 2027") instead of working a
date picker, and each part gets its own message: "Due date must include a
month", "Due date must be a real date". The form posts ``NAME_day``,
``NAME_month`` and ``NAME_year``; ``{% nhsuk_date_field form.NAME %}`` (in
``ui``'s ``nhsuk`` tags) draws the fieldset, and its day box carries the field's
own id, so the error summary's link lands on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

PARTS = ("day", "month", "year")


class DayMonthYearWidget(forms.Widget):
    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str, str]:
        day, month, year = (str(data.get(f"{name}_{part}", "")).strip() for part in PARTS)
        return day, month, year

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return all(f"{name}_{part}" not in data for part in PARTS)


class DayMonthYearField(forms.Field):
    """A date typed as day, month and year. ``label`` names it in messages ("Due date must ...")."""

    widget = DayMonthYearWidget

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("error_messages", {})
        super().__init__(**kwargs)

    def _name(self) -> str:
        return str(self.label or "Date")

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date) or value is None:
            return value
        day, month, year = (str(part or "").strip() for part in value)
        if not (day or month or year):
            return None
        missing = [part for part, typed in zip(PARTS, (day, month, year), strict=True) if not typed]
        if missing:
            raise forms.ValidationError(f"{self._name()} must include a {' and a '.join(missing)}", code="incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise forms.ValidationError(
                f"{self._name()} must be a real date, in numbers, for example 31 3 2027", code="invalid"
            )
        if len(year) != 4:
            raise forms.ValidationError(f"Enter the year of the {self._name().lower()} as 4 digits, for example 2027")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(
                f"{self._name()} must be a real date, for example 31 3 2027", code="invalid"
            ) from None

    def prepare_value(self, value: Any) -> tuple[str, str, str]:
        if isinstance(value, date):
            return str(value.day), str(value.month), str(value.year)
        if isinstance(value, (list, tuple)) and len(value) == 3:
            return tuple(str(part) for part in value)  # type: ignore[return-value]
        return "", "", ""

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != initial
        except forms.ValidationError:
            return True
