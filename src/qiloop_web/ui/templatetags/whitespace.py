"""``{% collapsed %}…{% endcollapsed %}``: the template's indentation between tags is not sent.

Each run of whitespace between two tags becomes one newline, or nothing before a block or table tag (the
start or end of a paragraph, list item, table cell or row...). A browser draws any run of whitespace between
tags as one space (outside ``<pre>`` and ``<textarea>``, which a collapsed block must not hold) and none at
the edge of a block or between table cells, so the page looks the same: about 7 KB fewer on the practice
dashboard. Inside a ``{% cache %}`` block it costs nothing after the first render.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

BETWEEN_TAGS = re.compile(r">\s+<")
BEFORE_BLOCK = re.compile(
    r">\s+(?=</?(?:table|caption|thead|tbody|tr|th|td|ul|ol|li|div|p|h[1-6]|figure|figcaption|details|summary)[\s>])"
)


def collapse(html: str) -> str:
    """``html`` with each run of whitespace between two tags replaced by nothing before a block or table tag,
    else by one newline."""
    return BETWEEN_TAGS.sub(">\n<", BEFORE_BLOCK.sub(">", html))


class CollapsedNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        return mark_safe(collapse(self.nodelist.render(context)))  # noqa: S308 - rendered by the template engine


@register.tag
def collapsed(parser: Any, token: Any) -> CollapsedNode:
    nodelist = parser.parse(("endcollapsed",))
    parser.delete_first_token()
    return CollapsedNode(nodelist)
