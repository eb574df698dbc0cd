"""DynamoDB numbers: parsing, canonical text and exact arithmetic.

Rules (DynamoDB developer guide, "Data types / Number"; messages as DynamoDB returns them):

* A Number holds at most 38 significant digits; its magnitude is 0 or lies in
  1E-130 .. 9.9999999999999999999999999999999999999E+125. Leading and trailing zeros do not count
  as significant digits ("0.000001" has one).
* Accepted text: an optional sign, digits with an optional decimal point (".5" and "5." are
  fine), an optional exponent ``e``/``E`` with an optional sign. No whitespace, NaN, Infinity or hex.
* Checks run in DynamoDB's order: not a number, then overflow (adjusted exponent > 125), then
  underflow (adjusted exponent < -130), then more than 38 significant digits.
* A Number is *stored and returned* in canonical form: no exponent, no leading zeros, no trailing
  fractional zeros, no "-0" ("01.50" -> "1.5", "1E+5" -> "100000", "-0.00" -> "0").
* Arithmetic (``SET a = a + :v``, ``ADD``) is exact: the result is computed without rounding and
  then subjected to the same range and precision checks as a stored number, so a result that
  would need rounding is refused rather than silently changed. DynamoDB reports such a result
  (e.g. ``1E+50 - 1``, 50 digits) with its *overflow* message, not the 38-digit one that a
  stored literal gets, so arithmetic does the same.

Everything here is pure; the contexts are module constants but immutable in use (every operation
passes its context explicitly), so any number of tables/processes can share them.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation, Inexact, Rounded, Overflow, Underflow

from kuradb.errors import ValidationException

MAX_DIGITS = 38
MAX_EXPONENT = 125  # adjusted exponent of the largest magnitude (9.99..E+125)
MIN_EXPONENT = -130  # adjusted exponent of the smallest non-zero magnitude (1E-130)

MSG_NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
MSG_OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
MSG_UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
MSG_PRECISION = "Attempting to store more than 38 significant digits in a Number"

#: DynamoDB's number context: 38 digits, its exponent range, and traps on anything that would lose
#: information. Use it for any Decimal arithmetic whose result must be a valid DynamoDB number.
DYNAMO_CONTEXT = Context(
    prec=MAX_DIGITS,
    Emax=MAX_EXPONENT,
    Emin=MIN_EXPONENT,
    traps=[InvalidOperation, Inexact, Rounded, Overflow, Underflow],
)

# Exact arithmetic: any sum/difference of two valid numbers has at most
# (125 - (-130)) + 1 + 38 + 1 digits, so 300 digits never rounds; Inexact is trapped anyway to
# keep that claim checked rather than assumed.
_EXACT = Context(prec=300, Emax=999_999, Emin=-999_999, traps=[InvalidOperation, Inexact, Overflow, Underflow])

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")

# Exponent text longer than this cannot be in range whatever the digits (a guard so that a
# hostile "1e999999999999" does not make Decimal work hard).
_MAX_EXPONENT_CHARS = 12


def parse_number(s: object) -> Decimal:
    """Parse and validate DynamoDB Number text; return it as a normalized Decimal.

    Raises ValidationException with DynamoDB's message when ``s`` is not a number, is out of
    range or has more than 38 significant digits.
    """
    if not isinstance(s, str) or not s:
        raise ValidationException(MSG_NOT_NUMERIC)
    if _NUMBER_RE.match(s) is None:
        raise ValidationException(f"{MSG_NOT_NUMERIC}: {s}")
    mantissa, _, exp_text = s.replace("E", "e").partition("e")
    if len(exp_text.lstrip("+-").lstrip("0")) > _MAX_EXPONENT_CHARS:
        # Huge exponent text: decide the sign of the exponent without building the Decimal.
        if all(c in "+-.0" for c in mantissa):
            return Decimal(0)
        raise ValidationException(MSG_UNDERFLOW if exp_text.startswith("-") else MSG_OVERFLOW)
    d = Decimal(s)
    return check_range(d)


def _significant(d: Decimal) -> tuple[int, tuple[int, ...], int]:
    """(sign, digits, exponent) of a non-zero finite Decimal with the coefficient's trailing
    zeros moved into the exponent: they are not significant digits."""
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    n = len(digits)
    while n > 1 and digits[n - 1] == 0:
        n -= 1
    return sign, tuple(digits[:n]), exponent + len(digits) - n


def check_range(d: Decimal) -> Decimal:
    """Validate an exact Decimal against DynamoDB's range and precision; return it normalized.

    Zero (of any sign or exponent) is always valid and becomes ``Decimal(0)``.
    """
    if not d.is_finite():
        raise ValidationException(MSG_NOT_NUMERIC)
    if d.is_zero():
        return Decimal(0)
    sign, digits, exponent = _significant(d)
    adjusted = exponent + len(digits) - 1
    if adjusted > MAX_EXPONENT:
        raise ValidationException(MSG_OVERFLOW)
    if adjusted < MIN_EXPONENT:
        raise ValidationException(MSG_UNDERFLOW)
    if len(digits) > MAX_DIGITS:
        raise ValidationException(MSG_PRECISION)
    return Decimal((sign, digits, exponent))


def canonical(d: Decimal) -> str:
    """DynamoDB's canonical text of a valid number: plain digits, no exponent, no "-0"."""
    if d.is_zero():
        return "0"
    sign, digits, exponent = _significant(d)
    text = "".join(map(str, digits))
    if exponent >= 0:
        text = text + "0" * exponent
    else:
        point = len(text) + exponent
        if point > 0:
            text = text[:point] + "." + text[point:]
        else:
            text = "0." + "0" * (-point) + text
    return "-" + text if sign else text


# Text that is already canonical and obviously in range: at most 38 characters (so at most 38
# digits, an integer part below 1E+38 and no fraction finer than 1E-37), no exponent, no
# leading zeros, no trailing fractional zeros. "-0" matches the pattern and is excluded.
_CANONICAL_SHORT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?\Z")


def normalize(s: str) -> str:
    """Validate Number text and return its canonical form (``parse_number`` + ``canonical``)."""
    if isinstance(s, str) and len(s) <= MAX_DIGITS and s != "-0" and _CANONICAL_SHORT_RE.match(s):
        return s  # fast path: most numbers arrive canonical
    return canonical(parse_number(s))


def _arithmetic_result(d: Decimal) -> str:
    """Check an exact sum/difference like a stored number, with DynamoDB's arithmetic wording."""
    try:
        return canonical(check_range(d))
    except ValidationException as err:
        if err.message == MSG_PRECISION:
            raise ValidationException(MSG_OVERFLOW) from None
        raise


def add(a: str, b: str) -> str:
    """Exact ``a + b`` of two Number texts, validated like a stored number; canonical result."""
    return _arithmetic_result(_EXACT.add(parse_number(a), parse_number(b)))


def sub(a: str, b: str) -> str:
    """Exact ``a - b`` of two Number texts, validated like a stored number; canonical result."""
    return _arithmetic_result(_EXACT.subtract(parse_number(a), parse_number(b)))


def compare_numbers(a: str, b: str) -> int:
    """-1, 0 or 1 as Number text ``a`` is less than, equal to or greater than ``b``."""
    da, db = parse_number(a), parse_number(b)
    return (da > db) - (da < db)
