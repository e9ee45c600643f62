"""NHS numbers: validation and keyed pseudonyms.

An NHS number is never stored. At import each one is checked (ten digits, the
last a modulus-11 check digit; spaces are allowed and removed) and replaced by
``HMAC-SHA256(key, number)`` as 64 lower-case hex characters. The key belongs
to the practice: give it with ``--key-file`` or the ``QILOOP_PSEUDONYM_KEY``
environment variable. The same key always gives the same pseudonym, so
pseudonyms link across imports; without the key they cannot be reversed.

The SQL expressions here compute the same thing inside DuckDB, so millions
of rows are handled without a Python loop; the plain-Python functions are the
reference they are tested against.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from qiloop import settings
from qiloop.errors import InputError

KEY_ENV_VAR = "QILOOP_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
_BLOCK = 64  # SHA-256 block size in bytes


def normalise_nhs_number(text: str) -> str:
    """The number without spaces (``'943 476 5919'`` -> ``'9434765919'``)."""
    return text.replace(" ", "")


def is_valid_nhs_number(text: str) -> bool:
    """True for ten digits whose last is the modulus-11 check digit of the first nine."""
    number = normalise_nhs_number(text)
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(number[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def mask(text: str) -> str:
    """Hide an NHS number in a message: the first three characters of a 10-character value, then stars."""
    number = normalise_nhs_number(text)
    if len(number) >= 10:
        return number[:3] + "*" * (len(number) - 3)
    return "*" * len(number)


def pseudonym(key: bytes, nhs_number: str) -> str:
    """HMAC-SHA256 of the normalised number under ``key``, as hex."""
    return hmac.new(key, normalise_nhs_number(nhs_number).encode("ascii"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104), for the SQL form."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def sql_normalised(value_sql: str) -> str:
    """SQL for the normalised number; ``value_sql`` is a quoted column expression, never user text."""
    return f"replace({value_sql}, ' ', '')"


def sql_is_valid(value_sql: str) -> str:
    """SQL true when the (non-null) value is a valid NHS number."""
    n = sql_normalised(value_sql)
    digits = " + ".join(f"TRY_CAST(substr({n}, {i + 1}, 1) AS INTEGER) * {10 - i}" for i in range(9))
    check = f"(11 - (({digits}) % 11)) % 11"  # 11 -> 0; 10 stays 10, never equal to a digit
    return f"(regexp_matches({n}, '^[0-9]{{10}}$') AND {check} = TRY_CAST(substr({n}, 10, 1) AS INTEGER))"


def sql_pseudonym(value_sql: str, inner_param: str, outer_param: str) -> str:
    """SQL computing HMAC-SHA256 hex of the normalised number (NULL unless valid); the padded keys are parameters."""
    n = sql_normalised(value_sql)
    inner = f"sha256({inner_param}::BLOB || encode({n}))"
    return f"CASE WHEN {sql_is_valid(value_sql)} THEN sha256({outer_param}::BLOB || unhex({inner})) END"


def load_key(key_file: Path | None) -> bytes | None:
    """The pseudonymisation key from ``key_file`` (preferred) or the environment; None if neither is set.

    Surrounding whitespace (a trailing newline, say) is removed.
    """
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise InputError(f"{key_file}: cannot read the key file ({exc.strerror})") from None
        source = str(key_file)
    else:
        env = settings.current().pseudonym_key
        if env is None:
            return None
        key = env.encode("utf-8")
        source = KEY_ENV_VAR
    if len(key) < MIN_KEY_BYTES:
        raise InputError(
            f"{source}: the pseudonymisation key is too short (at least {MIN_KEY_BYTES} characters are needed)",
            hint="use a long random secret, e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))'",
        )
    return key
