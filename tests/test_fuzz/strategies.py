"""What the fuzz suite sends: any text a person or a program could, with a bias towards
the inputs that have broken web apps before (and broke this one)."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# How many inputs each endpoint gets (CI runs the default; FUZZ_EXAMPLES=2000 for a long run).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))

settings.register_profile(
    "waymark-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",  # the same inputs every CI run
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    database=None,
)
FUZZ = settings.get_profile("waymark-fuzz")

NASTY = [
    "",
    " ",
    "\t",
    "\x00",
    "a\x00b",
    "²",
    "¹²",
    "١٢",  # Arabic-Indic digits
    "１２",  # full-width digits
    "ａｄｍｉｎ",
    "-1",
    "0",
    "1.5",
    "1e999999999",
    "-1e999999999",
    "NaN",
    "Infinity",
    "9" * 40,
    "9" * 5000,  # past int()'s 4,300-digit limit
    "+447700900982",
    "0001",
    "31",
    "2",
    "13",
    "1900",
    "0001-01-01",
    "9999-12-31",
    "2025-02-30",
    '=HYPERLINK("http://x")',
    "@SUM(1)",
    "<script>alert(1)</script>",
    "'; DROP TABLE cases_case; --",
    "../../etc/passwd",
    "%00",
    "%",
    "\\",
    "{}",
    "[]",
    "null",
    "true",
    "x" * 5000,
    "BB-4K7M-Q9XA-W3R",
    "bb4k7mq9xaw3r",
    "ST",
    "AB1 2CD",
    "SW1A 1AA",
    "ann@example.com",
    "a@b",
    "07700 900982",
    "+447700900982",
    "pip",
    "email",
    "sms",
    "letter",
    "none",
    "yes",
    "no",
    "continue",
    "save",
    "upload",
    "\u202e",  # right-to-left override
    "\ufeff",
    "😀",
]

text = st.one_of(st.sampled_from(NASTY), st.text(max_size=60), st.text(max_size=600))
value = st.one_of(text, st.lists(text, max_size=3))


def form_data(fields: list[str]):
    """A form post: any of the fields (and some that are not), any values."""
    keys = st.sampled_from([*fields, "junk", "action", "version", "csrfmiddlewaretoken"])
    return st.dictionaries(keys, value, max_size=len(fields) + 3)


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_value = st.recursive(
    json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)
    ),
    max_leaves=12,
)


def json_object_like(template: dict):
    """A body shaped like `template`: each field kept, dropped, or replaced by anything."""
    fields = {
        key: st.one_of(st.just(original), json_value, st.just(None))
        for key, original in template.items()
    }
    return st.builds(
        lambda kept, extra, drop: {
            **{k: v for k, v in kept.items() if k not in drop},
            **extra,
        },
        st.fixed_dictionaries(fields),
        st.dictionaries(text, json_value, max_size=2),
        st.sets(st.sampled_from(sorted(template)), max_size=len(template)),
    )


raw_body = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b"[]", b"null", b'"x"', b"\xff\xfe", b'{"a": "\\ud800"}']),
    json_value.map(lambda v: json.dumps(v).encode()),
)
