"""Static export of chart specs through vl-convert (no browser needed).

:func:`to_svg` embeds the spec's ``description`` as the SVG's ``<title>``
and ``<desc>`` (and ``role="img"``) so the text alternative travels with
the picture; :func:`to_png` renders at ``scale`` × the spec's size.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any
from xml.sax.saxutils import escape

import vl_convert

from qiloop.charts.palette import VEGA_LITE_VERSION

# vl-convert runs its JavaScript engine on threads of its own, started at the first call. A process forked after
# that (a web server's worker, forked from the process that drew the charts ahead) has none of those threads, and
# its first call waits for them forever. So a process that did not make the first call itself converts in a
# fresh process of its own (spawned, not forked) instead.
_first_call_in: int | None = None  # the process that made the first call
_helper: tuple[int, ProcessPoolExecutor] | None = None
_helper_lock = threading.Lock()


def _call(function: str, *args: Any, **kwargs: Any) -> Any:
    """``vl_convert.<function>(*args, **kwargs)``, in this process when that is safe, else in the helper process."""
    global _first_call_in
    if _first_call_in is None:
        _first_call_in = os.getpid()
    if _first_call_in == os.getpid():
        return getattr(vl_convert, function)(*args, **kwargs)
    return _helper_pool().submit(_in_helper, function, args, kwargs).result()


def _in_helper(function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return getattr(vl_convert, function)(*args, **kwargs)


def _helper_pool() -> ProcessPoolExecutor:
    global _helper
    with _helper_lock:
        if _helper is None or _helper[0] != os.getpid():
            _helper = (os.getpid(), ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")))
        return _helper[1]


def to_vega(spec: dict[str, Any]) -> dict[str, Any]:
    """Compile a Vega-Lite spec to Vega; raises ``ValueError`` if Vega-Lite rejects it."""
    compiled: dict[str, Any] = _call("vegalite_to_vega", spec, vl_version=VEGA_LITE_VERSION)
    return compiled


def svg_of(spec: dict[str, Any]) -> str:
    """The chart as vl-convert draws it in SVG (no text alternative added)."""
    svg: str = _call("vegalite_to_svg", spec, vl_version=VEGA_LITE_VERSION)
    return svg


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as SVG text, with the text alternative embedded for screen readers."""
    return _with_text_alternative(svg_of(spec), spec)


def to_png(spec: dict[str, Any], scale: float = 2) -> bytes:
    """The chart as PNG bytes at ``scale`` × its size (2 suits reports and slides)."""
    png: bytes = _call("vegalite_to_png", spec, vl_version=VEGA_LITE_VERSION, scale=scale)
    return png


def _with_text_alternative(svg: str, spec: dict[str, Any]) -> str:
    description = str(spec.get("description") or "")
    title = spec.get("title")
    title_text = title.get("text") if isinstance(title, dict) else title
    if not description and not title_text:
        return svg
    match = re.search(r"<svg\b[^>]*>", svg)
    if match is None:
        return svg
    opening = match.group(0)
    if "role=" not in opening:
        opening = opening[:-1] + ' role="img">'
    inserted = f"<title>{escape(str(title_text or description))}</title><desc>{escape(description)}</desc>"
    return svg[: match.start()] + opening + inserted + svg[match.end() :]
