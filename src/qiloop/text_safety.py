"""One check for free text: does it carry something that could identify a patient?

Free text in a QI workbench (project titles, aims, driver diagrams, PDSA notes, tasks) is shown to the
whole practice team, patient representatives included, and goes nowhere near the pseudonymised records.
So before it is saved it is checked here:

- **blocked** (cannot be saved): a valid NHS number (ten digits, spaces or hyphens allowed, passing the
  modulus-11 check), an e-mail address, a UK phone number;
- **warned** (saved only after the person confirms): a date that could be a date of birth (a whole date,
  day, month and year, that is not in the future), a postcode, a title followed by a name ("Mrs Smith"),
  an age of 90 or over ("aged 93", "94-year-old") — ages that old are few enough to identify.

A :class:`Finding` names the kind and the place (character position and line), never the text found,
so messages built from it can be shown and never copy an identifier anywhere. Nothing here logs.

Pure Python, no Django: the workbench's forms use it through one mixin (``qiloop_web.ui.text_safety``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from qiloop.records.pseudonym import is_valid_nhs_number

BLOCK = "block"
WARN = "warn"

# kind -> (severity, what it is, in words, for messages)
KINDS: dict[str, tuple[str, str]] = {
    "nhs_number": (BLOCK, "an NHS number"),
    "email": (BLOCK, "an e-mail address"),
    "phone": (BLOCK, "a phone number"),
    "birth_date": (WARN, "a date that could be a date of birth"),
    "postcode": (WARN, "a postcode"),
    "title_name": (WARN, "a title followed by a name"),
    "age_90_plus": (WARN, "an age of 90 or over"),
}


@dataclass(frozen=True)
class Finding:
    """Something in a text that could identify a patient: its kind and where it is (never the text)."""

    kind: str
    start: int  # 0-based character offset of the first character
    end: int  # 0-based offset just after the last character
    line: int  # 1-based
    column: int  # 1-based

    @property
    def severity(self) -> str:
        return KINDS[self.kind][0]

    @property
    def blocks(self) -> bool:
        return self.severity == BLOCK

    @property
    def what(self) -> str:
        return KINDS[self.kind][1]

    @property
    def place(self) -> str:
        """Where it is, in words: 'at character 14 of the 2nd line'."""
        return f"at character {self.column} of the {ordinal(self.line)} line"

    def message(self, where: str) -> str:
        """What to tell the person about ``where`` (a field's label): the kind and the place, never the text."""
        if self.blocks:
            return (
                f"{where}: there is {self.what} {self.place}. Remove it: "
                "nothing that identifies a patient (or anyone else) may be recorded here."
            )
        return (
            f"{where}: there may be {self.what} {self.place}. If it could identify a patient, remove it; "
            "if not, tick the box to confirm and save again."
        )


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def check_text(text: str, *, today: date | None = None) -> list[Finding]:
    """Every finding in ``text``, in order of position; overlapping findings are reported once (blocks first)."""
    if not text:
        return []
    today = today or date.today()
    spans: list[tuple[str, int, int]] = [
        *(("nhs_number", s, e) for s, e in _nhs_numbers(text)),
        *(("email", m.start(), m.end()) for m in _EMAIL.finditer(text)),
        *(("phone", s, e) for s, e in _phones(text)),
        *(("birth_date", s, e) for s, e in _birth_dates(text, today)),
        *(("postcode", s, e) for s, e in _postcodes(text)),
        *(("title_name", m.start(), m.end()) for m in _TITLE_NAME.finditer(text)),
        *(("age_90_plus", s, e) for s, e in _old_ages(text)),
    ]
    order = list(KINDS)
    kept: list[tuple[str, int, int]] = []
    for kind, start, end in sorted(spans, key=lambda s: (order.index(s[0]), s[1])):
        if not any(start < k_end and k_start < end for _, k_start, k_end in kept):
            kept.append((kind, start, end))
    findings = []
    for kind, start, end in sorted(kept, key=lambda s: s[1]):
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        findings.append(Finding(kind=kind, start=start, end=end, line=line, column=column))
    return findings


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if not f.blocks]


# --- NHS numbers: runs of digit groups joined by one space or hyphen; any consecutive groups with ten digits.

_DIGIT_RUN = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")


def _group_windows(run: str, offset: int, digits: int) -> Iterator[tuple[int, int, str]]:
    """Consecutive digit groups of ``run`` holding exactly ``digits`` digits: (start, end, the digits)."""
    groups = [(m.start() + offset, m.end() + offset, m.group()) for m in _GROUP.finditer(run)]
    for first in range(len(groups)):
        total = ""
        for last in range(first, len(groups)):
            total += groups[last][2]
            if len(total) == digits:
                yield groups[first][0], groups[last][1], total
            if len(total) >= digits:
                break


def _nhs_numbers(text: str) -> Iterator[tuple[int, int]]:
    for run in _DIGIT_RUN.finditer(text):
        for start, end, number in _group_windows(run.group(), run.start(), 10):
            if is_valid_nhs_number(number):
                yield start, end


# --- e-mail addresses

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# --- UK phone numbers: 0 then 9 or 10 more digits (01, 02, 03, 05, 07, 08, 09), or +44 / 0044 for the 0.

_PHONE_RUN = re.compile(r"(?:\+|\b00)?\(?[0-9]+\)?(?:[ -]?\(?[0-9]+\)?)*")
_PHONE_PART = re.compile(r"\+?\(?[0-9]+\)?")


def _phones(text: str) -> Iterator[tuple[int, int]]:
    """Consecutive parts of a run of digits that make a whole UK number (national 10 or 11 digits)."""
    for run in _PHONE_RUN.finditer(text):
        raw = run.group()
        parts = [(m.start(), m.end(), re.sub(r"\D", "", m.group()), m.group()) for m in _PHONE_PART.finditer(raw)]
        for first, (start, _, head, head_text) in enumerate(parts):
            international = head_text.startswith("+") or head.startswith("00")
            if not (head.startswith("0") or international):
                continue
            digits = ""
            for last in range(first, len(parts)):
                digits += parts[last][2]
                national = _national(digits, international)
                glued = last + 1 < len(parts) and parts[last + 1][0] == parts[last][1]  # "(0)113": one number
                if national and len(national) in (10, 11) and national[1] in "1235789" and not glued:
                    yield run.start() + start, run.start() + parts[last][1]
                    break
                if national and len(national) >= 11:
                    break


def _national(digits: str, international: bool) -> str:
    """The number as dialled inside the UK ('' when it is not a UK number)."""
    if not international:
        return digits if digits.startswith("0") else ""
    rest = digits[4:] if digits.startswith("0044") else digits[2:] if digits.startswith("44") else ""
    if not rest:
        return ""
    return "0" + (rest[1:] if rest.startswith("0") else rest)  # +44 (0)113 ...


# --- dates that could be a date of birth: a whole date (day, month, year) not in the future.

_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number], "Sept" if number == 9 else "")
    if name
}
_MONTH = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"(?<![0-9/.-])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9])(?![/.-][0-9])")
_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9])")
_DAY_MONTH_YEAR = re.compile(
    rf"\b([0-9]{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+([0-9]{{4}}|'?[0-9]{{2}})(?![0-9])",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH})\.?\s+([0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+([0-9]{{4}})(?![0-9])",
    re.IGNORECASE,
)


def _could_be_birth_date(day: int, month: int, year_text: str, today: date) -> bool:
    year_text = year_text.lstrip("'")
    # A two-digit year could be either century: either could be a date of birth.
    years = [1900 + int(year_text), 2000 + int(year_text)] if len(year_text) == 2 else [int(year_text)]
    for year in years:
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        if date(1880, 1, 1) <= when <= today:
            return True
    return False


def _birth_dates(text: str, today: date) -> Iterator[tuple[int, int]]:
    for m in _NUMERIC_DATE.finditer(text):
        if _could_be_birth_date(int(m.group(1)), int(m.group(3)), m.group(4), today):
            yield m.start(), m.end()
    for m in _ISO_DATE.finditer(text):
        if _could_be_birth_date(int(m.group(3)), int(m.group(2)), m.group(1), today):
            yield m.start(), m.end()
    for m in _DAY_MONTH_YEAR.finditer(text):
        if _could_be_birth_date(int(m.group(1)), _MONTHS[m.group(2).lower()], m.group(3), today):
            yield m.start(), m.end()
    for m in _MONTH_DAY_YEAR.finditer(text):
        if _could_be_birth_date(int(m.group(2)), _MONTHS[m.group(1).lower()], m.group(3), today):
            yield m.start(), m.end()


# --- postcodes: outward code, optional space, inward code (whose letters exclude C, I, K, M, O, V).

_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s?([0-9][ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE)
_ORDINALS = {"st", "nd", "rd", "th"}


def _postcodes(text: str) -> Iterator[tuple[int, int]]:
    for m in _POSTCODE.finditer(text):
        if m.group(2)[1:].lower() in _ORDINALS:  # "GP2 3rd", "cycle 4th": not postcodes
            continue
        yield m.start(), m.end()


# --- a title followed by a name: "Mrs Smith", "Dr. Patel", "MR JONES". "Dr" alone, or "Dr to review", is not.

_TITLES = "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Rev|Master|MR|MRS|MISS|MX|DR|PROF"
_TITLE_NAME = re.compile(rf"\b(?:{_TITLES})\b\.?[ \t]+[A-Z][A-Za-z'’-]+")

# --- ages of 90 and over: "aged 93", "age: 95", "93 years old", "94-year-old", "96yo", "97 y/o".

_AGE = re.compile(
    r"\bage[sd]?\s*[:=]?\s*([0-9]{2,3})\b"
    r"|\b([0-9]{2,3})\s*-?\s*(?:years?|yrs?)[\s-]*old\b"
    r"|\b([0-9]{2,3})\s*(?:yo|y/o|y\.o\.)(?![A-Za-z])",
    re.IGNORECASE,
)


def _old_ages(text: str) -> Iterator[tuple[int, int]]:
    for m in _AGE.finditer(text):
        age = int(next(g for g in m.groups() if g is not None))
        if 90 <= age <= 130:
            yield m.start(), m.end()
