"""Is an aim specific? What, by how much, by when (Model for Improvement, question 1).

>>> check = check_aim("Reduce missed appointments", "from 8% to 4%", "2027-03-31", today=date(2026, 11, 1))
>>> check.ok
True
>>> check_aim("Reduce missed appointments", "a lot", None, today=date(2026, 11, 1)).missing[0]
"Say by how much, e.g. 'from 8% to 4%' or 'halve'."
>>> aim_sentence("Reduce missed appointments", "from 8% to 4%", date(2027, 3, 31))
'Reduce missed appointments from 8% to 4% by 31 March 2027'
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime

PROMPT_WHAT = "Say what you want to improve, and for whom, e.g. 'Reduce missed appointments for adults'."
PROMPT_HOW_MUCH = "Say by how much, e.g. 'from 8% to 4%' or 'halve'."
PROMPT_BY_WHEN = "Say by when, as a date, e.g. '31 March 2027'."
PROMPT_UNREADABLE_DATE = "Write the date so it can be read, e.g. '31 March 2027' or '2027-03-31' (we read {text!r})."
PROMPT_PAST_DATE = "The date {when} has already passed: choose a date in the future."

#: Fewest words for "what": one word ("DNAs") rarely says what is to change.
MIN_WHAT_WORDS = 2

_QUANTITY_WORDS = (
    "half",
    "halve",
    "halving",
    "halved",
    "double",
    "doubling",
    "doubled",
    "treble",
    "triple",
    "third",
    "thirds",
    "quarter",
    "quarters",
    "fifth",
    "tenth",
    "zero",
    "none",
    "nobody",
    "eliminate",
    "eliminating",
    "percent",
    "per cent",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
)
_QUANTITY = re.compile(
    r"\d|\b(" + "|".join(re.escape(w) for w in _QUANTITY_WORDS) + r")\b|\bno (one|patients?)\b", re.I
)

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")
_MONTH_FORMATS = ("%B %Y", "%b %Y", "%Y-%m", "%m/%Y")


@dataclass(frozen=True)
class AimCheck:
    """What an aim has and, for each part missing, a plain-English prompt.

    ``by_date`` is the deadline read from ``by_when`` (None when absent or unreadable).
    """

    ok: bool
    has_what: bool
    has_how_much: bool
    has_by_when: bool
    missing: list[str] = field(default_factory=list)
    by_date: date | None = None


def has_quantity(text: str | None) -> bool:
    """True when ``text`` names an amount: a number, a percentage or a word like 'halve'.

    >>> has_quantity("from 8% to 4%"), has_quantity("halve it"), has_quantity("a lot")
    (True, True, False)
    """
    return bool(_QUANTITY.search(text or ""))


def parse_date(value: date | str | None) -> date | None:
    """Read a deadline: a date, an ISO or UK date string, or a month ('March 2027' is its last day).

    Returns None for an empty value; raises ValueError for text that is not a date.

    >>> parse_date("31/03/2027"), parse_date("March 2027")
    (datetime.date(2027, 3, 31), datetime.date(2027, 3, 31))
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).replace(",", " ").split())
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    for fmt in _MONTH_FORMATS:
        try:
            first = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    raise ValueError(f"not a date: {text!r}")


def format_date(value: date) -> str:
    """'31 March 2027' (no leading zero).

    >>> format_date(date(2027, 3, 1))
    '1 March 2027'
    """
    return f"{value.day} {value:%B %Y}"


def check_aim(
    what: str | None, how_much: str | None, by_when: date | str | None, *, today: date | None = None
) -> AimCheck:
    """Check that an aim says what will improve, by how much and by when (a date after ``today``).

    ``today`` defaults to the current date. Each missing part adds one prompt to ``missing``,
    in the order what, how much, by when.
    """
    today = today or date.today()
    missing: list[str] = []
    has_what = len((what or "").split()) >= MIN_WHAT_WORDS
    if not has_what:
        missing.append(PROMPT_WHAT)
    has_how_much = has_quantity(how_much)
    if not has_how_much:
        missing.append(PROMPT_HOW_MUCH)
    by_date: date | None = None
    try:
        by_date = parse_date(by_when)
    except ValueError:
        missing.append(PROMPT_UNREADABLE_DATE.format(text=str(by_when).strip()))
    else:
        if by_date is None:
            missing.append(PROMPT_BY_WHEN)
        elif by_date <= today:
            missing.append(PROMPT_PAST_DATE.format(when=format_date(by_date)))
    has_by_when = by_date is not None and by_date > today
    return AimCheck(
        ok=has_what and has_how_much and has_by_when,
        has_what=has_what,
        has_how_much=has_how_much,
        has_by_when=has_by_when,
        missing=missing,
        by_date=by_date,
    )


def aim_sentence(what: str | None, how_much: str | None, by_when: date | str | None) -> str:
    """One sentence: 'Reduce missed appointments from 8% to 4% by 31 March 2027'.

    Parts left empty are left out; a deadline that cannot be read is quoted as written.
    """
    parts = [" ".join((what or "").split()).rstrip(". ")]
    amount = " ".join((how_much or "").split()).rstrip(". ")
    if amount:
        parts.append(amount)
    try:
        deadline = parse_date(by_when)
    except ValueError:
        parts.append(f"by {str(by_when).strip()}")
    else:
        if deadline is not None:
            parts.append(f"by {format_date(deadline)}")
    return " ".join(p for p in parts if p)
