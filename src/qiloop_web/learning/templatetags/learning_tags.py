"""``{% learning_field form.NAME %}``: any field of a learning form in NHS markup (text, select, date, checkboxes)."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms import BoundField
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from qiloop_web.ui.date_input import DayMonthYearField
from qiloop_web.ui.templatetags.nhsuk import nhsuk_date_field, nhsuk_field

register = template.Library()


@register.simple_tag
def learning_field(field: BoundField) -> SafeString:
    if isinstance(field.field, DayMonthYearField):
        return mark_safe(render_to_string("ui/date_field.html", nhsuk_date_field(field)))  # noqa: S308
    if isinstance(field.field.widget, forms.CheckboxSelectMultiple):
        chosen = {str(v) for v in (field.value() or [])}
        options = [
            {
                "value": value,
                "label": label,
                "id": field.auto_id if i == 0 else f"{field.auto_id}_{i}",
                "checked": str(value) in chosen,
            }
            for i, (value, label) in enumerate(field.field.choices)  # type: ignore[attr-defined]
        ]
        return mark_safe(render_to_string("learning/_checkboxes.html", {"field": field, "options": options}))  # noqa: S308
    return mark_safe(render_to_string("ui/field.html", nhsuk_field(field)))  # noqa: S308


@register.filter
def label_of(event: Any, name: str) -> str:
    return event.label_of(name)
