"""Render Django form fields and errors in the NHS design system's markup.

``{% nhsuk_field form.email %}`` gives the label, hint, inline error and the
input with the right classes and ``aria-describedby``;
``{% nhsuk_error_summary form %}`` gives the error summary that links to each
field; ``{% nhsuk_date_field form.due_on %}`` gives the NHS date input for a
``date_input.DayMonthYearField``. They follow the markup of nhsuk-frontend's own components.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField, Form

from qiloop_web.ui.text_safety import CONFIRM_FIELD, CONFIRM_LABEL

register = template.Library()

_WIDGET_CLASSES = {
    "select": ("nhsuk-select", "nhsuk-select--error"),
    "textarea": ("nhsuk-textarea", "nhsuk-textarea--error"),
    "checkbox": ("nhsuk-checkboxes__input", ""),
}
_DEFAULT_CLASSES = ("nhsuk-input", "nhsuk-input--error")


@register.inclusion_tag("ui/field.html")
def nhsuk_field(field: BoundField, width: str = "") -> dict[str, Any]:
    widget_type = field.widget_type
    base, error_class = _WIDGET_CLASSES.get(widget_type, _DEFAULT_CLASSES)
    classes = [base]
    if field.errors and error_class:
        classes.append(error_class)
    if width:
        classes.append(f"nhsuk-input--width-{width}")
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}-hint")
    if field.errors:
        described_by.append(f"{field.auto_id}-error")
    attrs: dict[str, str] = {"class": " ".join(classes)}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    # The free-text check's confirmation box, beneath the first field it warned about (ui/text_safety.py).
    confirm = getattr(field.form, "text_safety_confirm_on", None) == field.name
    return {
        "field": field,
        "widget": field.as_widget(attrs=attrs),
        "checkbox": widget_type == "checkbox",
        "confirm": {"name": CONFIRM_FIELD, "label": CONFIRM_LABEL} if confirm else None,
    }


@register.inclusion_tag("ui/error_summary.html")
def nhsuk_error_summary(form: Form) -> dict[str, Any]:
    errors: list[tuple[str, str]] = [("", str(error)) for error in form.non_field_errors()]
    for field in form:
        errors += [(f"#{field.auto_id}", str(error)) for error in field.errors]
    return {"errors": errors}


@register.inclusion_tag("ui/date_field.html")
def nhsuk_date_field(field: BoundField) -> dict[str, Any]:
    day, month, year = field.field.prepare_value(field.value())
    ids = [field.auto_id, f"{field.auto_id}_month", f"{field.auto_id}_year"]
    parts = [
        {"label": label, "id": id_, "name": f"{field.html_name}_{key}", "value": value, "width": width}
        for (key, label, width), id_, value in zip(
            [("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)], ids, (day, month, year), strict=True
        )
    ]
    described_by = " ".join(
        [f"{field.auto_id}-hint"] * bool(field.help_text) + [f"{field.auto_id}-error"] * bool(field.errors)
    )
    return {"field": field, "parts": parts, "described_by": described_by}
