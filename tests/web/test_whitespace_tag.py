"""{% collapsed %}: the indentation between tags is not sent, and the page reads the same."""

from __future__ import annotations

from django.template import engines

from qiloop_web.ui.templatetags.whitespace import collapse


def test_indentation_goes_but_a_space_between_inline_elements_stays():
    html = "<ul>\n  <li>\n    <a href='/a'>A</a>   <strong>4 of 36</strong> in March\n  </li>\n</ul>\n<p>x</p>"
    assert collapse(html) == "<ul><li>\n<a href='/a'>A</a>\n<strong>4 of 36</strong> in March\n  </li></ul><p>x</p>"


def test_table_cells_and_rows_lose_the_whitespace_between_them_only():
    html = "<table>\n <tr>\n  <td>1 of 2</td>\n  <td> 50% </td>\n </tr>\n</table>"
    assert collapse(html) == "<table><tr><td>1 of 2</td><td> 50% </td></tr></table>"


def test_the_tag_collapses_what_it_encloses():
    template = engines["django"].from_string(
        "{% load whitespace %}<div>\n  {% collapsed %}<p>\n  {{ x }}\n</p>\n  <path d='M0'/>{% endcollapsed %}</div>"
    )
    assert template.render({"x": "<b>"}) == "<div>\n  <p>\n  &lt;b&gt;\n</p>\n<path d='M0'/></div>"
