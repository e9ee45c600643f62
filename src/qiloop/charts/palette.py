"""Colours and labels shared by every qiloop chart.

Point colours are the NHS England Making Data Count palette (domain notes
§12.1): special-cause improvement blue, concern orange, neither purple,
common cause grey. Funnel plots deliberately avoid red–amber–green: units
outside the limits are shown in the "neither" purple, which carries no
judgement of good or bad.
"""

from __future__ import annotations

IMPROVEMENT = "#00B0F0"
CONCERN = "#E46C0A"
NEITHER = "#490092"
COMMON_CAUSE = "#A6A6A6"

LINE = "#7B7D7D"  # the data line joining points
CENTRE_LINE = "#231F20"
LIMIT_LINE = "#768692"
TARGET_LINE = "#DA291C"
ANNOTATION = "#005EB8"  # NHS blue for PDSA / change markers

VARIATION_COLOURS: dict[str, str] = {
    "common_cause": COMMON_CAUSE,
    "special_cause_improvement": IMPROVEMENT,
    "special_cause_concern": CONCERN,
    "special_cause_neither": NEITHER,
}

VARIATION_LABELS: dict[str, str] = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neither": "Special cause: neither",
}

VARIATION_ICON_LABELS: dict[str, str] = {
    "common_cause": "Common cause variation",
    "special_cause_improving_high": "Special cause: improvement (high)",
    "special_cause_improving_low": "Special cause: improvement (low)",
    "special_cause_concerning_high": "Special cause: concern (high)",
    "special_cause_concerning_low": "Special cause: concern (low)",
    "special_cause_neither_high": "Special cause: neither (high)",
    "special_cause_neither_low": "Special cause: neither (low)",
}

ASSURANCE_ICON_LABELS: dict[str, str] = {
    "consistently_passing": "Target consistently met",
    "consistently_failing": "Target consistently missed",
    "hit_and_miss": "Target hit and miss",
}

CHART_NAMES: dict[str, str] = {
    "run": "run chart",
    "xmr": "XmR chart",
    "i": "XmR chart",
    "mr": "moving range chart",
    "p": "P chart",
    "pp": "P′ chart (Laney)",
    "u": "U chart",
    "up": "U′ chart (Laney)",
    "c": "C chart",
    "g": "G chart",
    "t": "T chart",
    "xbar": "X-bar chart",
    "s": "S chart",
}

#: The Vega-Lite release every spec is written for: the one the workbench's pages load from node_modules
#: (package.json / package-lock.json) and the one vl-convert compiles with for SVG and PNG. A test checks
#: the three agree (tests/charts/test_vega_lite_version.py); a spec whose ``$schema`` names another major
#: version makes vega-embed warn in the browser console once per chart.
VEGA_LITE_VERSION = "6.4"
VEGA_LITE_SCHEMA = f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION.split('.')[0]}.json"
