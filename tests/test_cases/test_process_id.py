import ast
import re
import sys
from pathlib import Path

import pytest

from cases import process_id
from cases.process_id import (
    ALPHABET,
    BODY_LENGTH,
    EXAMPLE,
    LENGTH,
    PREFIX_LENGTH,
    InvalidProcessID,
    format_display,
    generate,
    is_valid,
    normalise,
    parse,
)

MANY = 200_000
LENGTH_MESSAGE = "Your reference number should be 13 characters, like BB-4K7M-Q9XA-W3R"
CHECKSUM_MESSAGE = (
    "Check your reference number: it looks like a character is wrong or two are swapped"
)


def reference_checksum_ok(value):
    """Independent restatement of the rule: sum(i * v_i) over positions 1..n is 0 mod 31."""
    return sum(i * ALPHABET.index(c) for i, c in enumerate(value, start=1)) % 31 == 0


@pytest.fixture(scope="module")
def many_ids():
    return [generate("BB") for _ in range(MANY)]


@pytest.fixture(scope="module")
def sample(many_ids):
    return many_ids[:250]


def messy(value):
    """What a person might type: lower case, odd spacing, hyphens and dashes."""
    v = value.lower()
    return f"  {v[:2]}-{v[2:6]} {v[6:8]}\u2013{v[8:10]} - {v[10:]}. \t"


def test_constants():
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("01ILO") & set(ALPHABET)
    assert (PREFIX_LENGTH, BODY_LENGTH, LENGTH) == (2, 10, 13)


def test_known_answers():
    assert is_valid(EXAMPLE)
    assert reference_checksum_ok(EXAMPLE)
    # Same as EXAMPLE but one body character differs: its check character is wrong.
    assert not is_valid("BB4K7MQ9XAT3R")
    assert not reference_checksum_ok("BB4K7MQ9XAT3R")


def test_generated_ids_are_unique_and_valid(many_ids):
    assert len(set(many_ids)) == MANY
    assert all(is_valid(value) for value in many_ids)
    assert all(reference_checksum_ok(value) for value in many_ids)


def test_generated_ids_shape(many_ids):
    assert {len(value) for value in many_ids} == {LENGTH}
    assert {value[:2] for value in many_ids} == {"BB"}
    # Every alphabet character turns up at every body position and as a check
    # character, so the body is random over the whole alphabet and nothing else.
    for position in range(PREFIX_LENGTH, LENGTH):
        assert {value[position] for value in many_ids} == set(ALPHABET), position
    street = generate("ST")
    assert street.startswith("ST")
    assert len(street) == LENGTH
    assert is_valid(street)


def test_every_single_character_error_is_detected(sample):
    checked = 0
    for value in sample:
        for position in range(LENGTH):
            for char in ALPHABET:
                if char == value[position]:
                    continue
                wrong = value[:position] + char + value[position + 1 :]
                assert not is_valid(wrong), (value, wrong)
                checked += 1
    assert checked == len(sample) * LENGTH * 30


def test_every_adjacent_transposition_is_detected(many_ids):
    positions = set()
    for value in many_ids[:2000]:
        for i in range(LENGTH - 1):
            if value[i] == value[i + 1]:
                continue
            swapped = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
            assert not is_valid(swapped), (value, swapped)
            positions.add(i)
    # The prefix is a repeated letter here, so cover swaps touching it explicitly too.
    for prefix in ("ST", "B2", "Z9"):
        for _ in range(200):
            value = generate(prefix)
            for i in range(LENGTH - 1):
                if value[i] != value[i + 1]:
                    swapped = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
                    assert not is_valid(swapped), (value, swapped)
                    positions.add(i)
    # Includes 0 (inside the prefix) and 11 (last body character <-> check character).
    assert positions == set(range(LENGTH - 1))


@pytest.mark.parametrize(
    "value",
    ["", "BB4K7MQ9XAW3", "BB4K7MQ9XAW3R2", "bb4k7mq9xaw3r", "BB-4K7M-Q9XA-W3R", "BB4K7MQ9XAW3O"],
)
def test_is_valid_rejects_non_canonical(value):
    assert not is_valid(value)


def test_normalise_strips_separators_and_upper_cases_without_validating():
    assert normalise(" bb-4k7m q9xa\u2013t3r.\n") == "BB4K7MQ9XAT3R"
    assert normalise("st\u2014ab.cd\t ef") == "STABCDEF"
    assert normalise("o0 il") == "O0IL"
    assert normalise(" - . ") == ""


def test_parse_accepts_what_people_type(sample):
    for value in sample[:50]:
        assert parse(messy(value)) == value
        assert parse(messy(value), prefixes=["BB", "ST"]) == value
    street = generate("ST")
    assert parse(messy(street), prefixes=("BB", "ST")) == street


@pytest.mark.parametrize("text", ["", "   ", " - . \u2014 "])
def test_parse_empty(text):
    with pytest.raises(InvalidProcessID) as error:
        parse(text)
    assert str(error.value) == "Enter your reference number"


def test_parse_wrong_length(sample):
    value = sample[0]
    for text in (value[:-1], value + value[-1], value[:6], value + value):
        with pytest.raises(InvalidProcessID) as error:
            parse(text)
        assert str(error.value) == LENGTH_MESSAGE
    assert is_valid(EXAMPLE)  # the example given in the message is itself a real ID


def test_parse_forbidden_characters(sample):
    value = sample[0]
    with pytest.raises(InvalidProcessID) as error:
        parse(value[:5] + "O" + value[6:])
    assert str(error.value) == (
        "Your reference number contains a character that is never used in reference numbers: O"
    )
    with pytest.raises(InvalidProcessID) as error:
        parse(value[:3] + "0" + value[4:8] + "o" + value[9:] + "0")
    assert str(error.value) == (
        "Your reference number contains characters that are never used in reference numbers: "
        "0 and O"
    )
    with pytest.raises(InvalidProcessID) as error:
        parse("BB-1L1-I!")
    assert str(error.value).endswith("reference numbers: 1, L, I and !")


def test_parse_bad_checksum(sample):
    value = sample[0]
    wrong_char = value[:7] + ALPHABET[(ALPHABET.index(value[7]) + 1) % 31] + value[8:]
    i = next(i for i in range(LENGTH - 1) if value[i] != value[i + 1])
    swapped = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    for text in (wrong_char, swapped, messy(wrong_char)):
        with pytest.raises(InvalidProcessID) as error:
            parse(text)
        assert str(error.value) == CHECKSUM_MESSAGE


def test_parse_unknown_prefix():
    value = generate("XY")
    assert parse(value) == value  # any prefix is fine when none are specified
    cases = [
        (["BB", "ST"], "Your reference number should start with BB or ST"),
        (("BB",), "Your reference number should start with BB"),
        (iter(["BB", "ST", "BB", "PK"]), "Your reference number should start with BB, ST or PK"),
    ]
    for prefixes, message in cases:
        with pytest.raises(InvalidProcessID) as error:
            parse(messy(value), prefixes=prefixes)
        assert str(error.value) == message
    with pytest.raises(ValueError, match="prefixes"):
        parse(value, prefixes=[])


def test_invalid_process_id_is_a_value_error():
    with pytest.raises(ValueError, match="Enter your reference number"):
        parse("")


def test_format_display_round_trips(sample):
    assert format_display(EXAMPLE) == "BB-4K7M-Q9XA-W3R"
    for value in sample:
        shown = format_display(value)
        assert re.fullmatch(r"[A-Z2-9]{2}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{3}", shown)
        assert shown.replace("-", "") == value
        assert parse(shown) == value
        assert parse(shown.lower()) == value
    with pytest.raises(ValueError, match="13 characters"):
        format_display(EXAMPLE[:-1])


@pytest.mark.parametrize("prefix", ["", "B", "BBB", "bb", "B0", "OI", "B-", " B", None, 12])
def test_generate_rejects_bad_prefix(prefix):
    with pytest.raises(ValueError, match="prefix"):
        generate(prefix)


def test_module_imports_only_the_standard_library():
    tree = ast.parse(Path(process_id.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported
