"""Per-cell checks of one table's file, as SQL conditions evaluated by DuckDB.

Each canonical column becomes two expressions over the staged file: its text
(what the user wrote, shown in messages) and its typed value (NULL when the
text is not of the column's type). Each rule a cell can break becomes a
:class:`CellCheck`: a SQL condition that is true for a bad cell and a
function that words the message. All checks of a file run in one scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qiloop.errors import showing_values
from qiloop.records import pseudonym
from qiloop.records.schema import NHS_NUMBER_COLUMN, Column
from qiloop.records.sql import ident, literal

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT"}
NUMERIC_TYPES = INTEGER_TYPES | {"FLOAT", "DOUBLE", "REAL"}
SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE"}

# Anchored patterns for regexp_matches: DuckDB runs these about three times faster than regexp_full_match.
_INT_PATTERN = "^[+-]?[0-9]{1,18}$"
_FLOAT_PATTERN = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MAX_SHOWN = 40


def shown(value: str | None) -> str:
    """A cell value as quoted in a message (long values cut short); "the value" inside ``values_hidden()``."""
    if not showing_values():
        return "the value"
    if value is None:
        return "''"
    if len(value) > _MAX_SHOWN:
        value = value[:_MAX_SHOWN] + "..."
    return repr(value)


@dataclass(frozen=True)
class ColumnExpr:
    """SQL for one canonical column of a staged file."""

    column: Column
    file_name: str
    text: str
    typed: str


def column_expr(column: Column, file_name: str | None, source_type: str | None, prefix: str = "") -> ColumnExpr:
    """The text and typed SQL for ``column``; ``file_name`` None means the file lacks this optional column.

    ``prefix`` qualifies the column (``"s."``) when the staged file is joined to another relation.
    """
    sql_type = SQL_TYPES[column.type]
    if file_name is None:
        return ColumnExpr(column, column.name, "CAST(NULL AS VARCHAR)", f"CAST(NULL AS {sql_type})")
    src = prefix + ident(file_name)
    text = f"NULLIF(CAST({src} AS VARCHAR), '')"
    base_type = (source_type or "VARCHAR").split("(")[0]
    if column.type == "str":
        typed = text
    elif column.type == "int" and base_type in INTEGER_TYPES:
        typed = f"CAST({src} AS BIGINT)"
    elif column.type == "int":
        typed = f"CASE WHEN regexp_matches({text}, '{_INT_PATTERN}') THEN TRY_CAST({text} AS BIGINT) END"
    elif column.type == "float" and base_type in NUMERIC_TYPES:
        typed = f"CASE WHEN isfinite(CAST({src} AS DOUBLE)) THEN CAST({src} AS DOUBLE) END"
    elif column.type == "float":
        value = f"TRY_CAST({text} AS DOUBLE)"
        typed = f"CASE WHEN regexp_matches({text}, '{_FLOAT_PATTERN}') AND isfinite({value}) THEN {value} END"
    elif column.type == "date" and base_type == "DATE":
        typed = src
    else:
        typed = f"CASE WHEN regexp_matches({text}, '{_DATE_PATTERN}') THEN TRY_CAST({text} AS DATE) END"
    return ColumnExpr(column, file_name, text, typed)


@dataclass(frozen=True)
class CellCheck:
    """A rule a cell can break: ``bad`` is SQL true for a bad cell; ``describe(text)`` words the problem."""

    file_column: str
    bad: str
    text: str
    describe: Callable[[str | None], str]

    def message(self, value: str | None) -> str:
        return f"column {self.file_column}: {self.describe(value)}"


_TYPE_WORDS = {
    "int": "is not a whole number",
    "float": "is not a number",
    "date": "is not a date (expected YYYY-MM-DD)",
}


def cell_checks(expr: ColumnExpr) -> list[CellCheck]:
    """Every rule for one column, at most one of which fires for a given cell."""
    c = expr.column
    text, typed, name = expr.text, expr.typed, expr.file_name
    checks: list[CellCheck] = []
    if c.required:
        checks.append(CellCheck(name, f"{text} IS NULL", text, lambda v: "empty, but a value is required"))
    if c.type != "str":
        words = _TYPE_WORDS[c.type]
        checks.append(CellCheck(name, f"{text} IS NOT NULL AND {typed} IS NULL", text, lambda v: f"{shown(v)} {words}"))
    if c.allowed is not None:
        values = ", ".join(literal(a) for a in c.allowed)
        expected = ", ".join(c.allowed)
        checks.append(
            CellCheck(
                name,
                f"{typed} IS NOT NULL AND {typed} NOT IN ({values})",
                text,
                lambda v: f"{shown(v)} is not allowed (expected one of: {expected})",
            )
        )
    if c.min_value is not None:
        low = c.min_value
        checks.append(
            CellCheck(name, f"{typed} < {low!r}", text, lambda v: f"{shown(v)} is below the minimum {_number(low)}")
        )
    if c.max_value is not None:
        high = c.max_value
        checks.append(
            CellCheck(name, f"{typed} > {high!r}", text, lambda v: f"{shown(v)} is above the maximum {_number(high)}")
        )
    if c.first_of_month:
        checks.append(
            CellCheck(
                name,
                f"day({typed}) <> 1",
                text,
                lambda v: (
                    f"{shown(v)} is not the first of a month ({c.name} is recorded as the first of its month, "
                    f"e.g. {(v or '')[:8] if showing_values() else 'YYYY-MM-'}01)"
                ),
            )
        )
    return checks


def nhs_number_text(prefix: str = "") -> str:
    """SQL for the text of the nhs_number cell (NULL when empty)."""
    return f"NULLIF(CAST({prefix}{ident(NHS_NUMBER_COLUMN)} AS VARCHAR), '')"


def nhs_number_check(prefix: str = "") -> CellCheck:
    """An NHS number cell must be empty or a valid number; the message masks it."""
    text = nhs_number_text(prefix)
    return CellCheck(
        NHS_NUMBER_COLUMN,
        f"{text} IS NOT NULL AND NOT coalesce({pseudonym.sql_is_valid(text)}, false)",
        text,
        lambda v: (
            f"{shown(pseudonym.mask(v or ''))} is not a valid NHS number "
            "(10 digits, the last a modulus-11 check digit); correct it or leave the cell empty"
        ),
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
