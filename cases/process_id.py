"""Case process IDs: short references a citizen can read out over the phone.

A process ID is a 2-character service prefix (``"BB"`` for Blue Badge, ``"ST"``
for street reports), 10 random characters and 1 check character, all from
``ALPHABET``. The canonical (stored) form has no separators, ``"BB4K7MQ9XAW3R"``;
the display form groups it, ``"BB-4K7M-Q9XA-W3R"``.

Check character. With ``v_i = ALPHABET.index(c_i)`` over the whole canonical
string, positions ``i = 1..n`` (n = 13, prefix and check character included),
an ID is valid iff ``sum(i * v_i) % 31 == 0``. The check character solves that
for position n: ``v_n = -(sum of the others) * n**-1 (mod 31)``.

Why it catches every single error and every adjacent swap. 31 is prime, so a
product of two numbers that are both non-zero mod 31 is non-zero mod 31.

* One wrong character at position i, value a -> b: the sum changes by
  ``i * (b - a)``. ``1 <= i <= 13 < 31`` and ``0 < |b - a| < 31``, so neither
  factor is 0 mod 31 and the sum is no longer 0 mod 31.
* Neighbours a, b at positions i, i + 1 swapped (a != b): the sum changes by
  ``i*b + (i+1)*a - i*a - (i+1)*b = a - b``, non-zero mod 31. This holds at
  every position, including the prefix and the last body/check-character pair.
"""

import re
import secrets
from collections.abc import Iterable

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 (a prime); no 0, 1, I, L, O
PREFIX_LENGTH = 2
BODY_LENGTH = 10
LENGTH = PREFIX_LENGTH + BODY_LENGTH + 1
EXAMPLE = "BB4K7MQ9XAW3R"  # a valid ID, used in error messages

_MODULUS = len(ALPHABET)
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
# Whitespace, full stops, hyphen-minus, the Unicode hyphens/dashes (incl. en and em) and minus.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")


class InvalidProcessID(ValueError):
    """Raised by :func:`parse`; ``str()`` is a GOV.UK-style error message (English).

    ``code`` and ``params`` say which message it is and what goes in it, so that a caller
    can show it in another language (the portal does: ``cases.portal.forms``).
    """

    def __init__(self, message: str, code: str = "", **params: object):
        super().__init__(message)
        self.code = code
        self.params = params


def _weighted_sum(value: str) -> int:
    return sum(position * _VALUES[char] for position, char in enumerate(value, start=1))


def _check_char(partial: str) -> str:
    """The character that makes ``partial + char`` valid."""
    position = len(partial) + 1
    return ALPHABET[-_weighted_sum(partial) * pow(position, -1, _MODULUS) % _MODULUS]


def _join(items: list[str], last_word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last_word} {items[-1]}"


def generate(prefix: str) -> str:
    """Return a new random canonical process ID starting with ``prefix``."""
    if not (
        isinstance(prefix, str)
        and len(prefix) == PREFIX_LENGTH
        and all(char in _VALUES for char in prefix)
    ):
        raise ValueError(f"prefix must be {PREFIX_LENGTH} characters from {ALPHABET}: {prefix!r}")
    partial = prefix + "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return partial + _check_char(partial)


def is_valid(value: str) -> bool:
    """Whether ``value`` is a canonical process ID with a correct check character."""
    return (
        isinstance(value, str)
        and len(value) == LENGTH
        and all(char in _VALUES for char in value)
        and _weighted_sum(value) % _MODULUS == 0
    )


def normalise(text: str) -> str:
    """Remove spaces, hyphens, dashes and full stops and upper-case. Does not validate."""
    return _SEPARATORS.sub("", text).upper()


def parse(text: str, prefixes: Iterable[str] | None = None) -> str:
    """Return the canonical ID for what a person typed, or raise :class:`InvalidProcessID`.

    ``prefixes`` limits which service prefixes are accepted.
    """
    value = normalise(text or "")
    if not value:
        raise InvalidProcessID("Enter your reference number", "required")
    bad = list(dict.fromkeys(char for char in value if char not in _VALUES))
    if bad:
        what = "a character that is" if len(bad) == 1 else "characters that are"
        raise InvalidProcessID(
            f"Your reference number contains {what} never used in reference numbers: "
            f"{_join(bad, 'and')}",
            "characters" if len(bad) > 1 else "character",
            characters=bad,
        )
    if len(value) != LENGTH:
        raise InvalidProcessID(
            f"Your reference number should be {LENGTH} characters, like {format_display(EXAMPLE)}",
            "length",
            length=LENGTH,
            example=format_display(EXAMPLE),
        )
    if prefixes is not None:
        allowed = list(dict.fromkeys(prefixes))
        if not allowed:
            raise ValueError("prefixes must not be empty")
        if value[:PREFIX_LENGTH] not in allowed:
            raise InvalidProcessID(
                f"Your reference number should start with {_join(allowed, 'or')}",
                "prefix",
                prefixes=allowed,
            )
    if not is_valid(value):
        raise InvalidProcessID(
            "Check your reference number: it looks like a character is wrong or two are swapped",
            "checksum",
        )
    return value


def format_display(value: str) -> str:
    """Group a canonical ID for display: ``"BB4K7MQ9XAW3R"`` -> ``"BB-4K7M-Q9XA-W3R"``."""
    if len(value) != LENGTH:
        raise ValueError(f"process ID must be {LENGTH} characters: {value!r}")
    p = PREFIX_LENGTH
    return "-".join((value[:p], value[p : p + 4], value[p + 4 : p + 8], value[p + 8 :]))
