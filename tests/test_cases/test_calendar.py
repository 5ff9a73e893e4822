import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from cases import calendar
from cases.calendar import (
    BANK_HOLIDAYS_PATH,
    add_working_days,
    bank_holidays,
    is_working_day,
    working_days_between,
)

DIVISIONS = ("england-and-wales", "scotland", "northern-ireland")


def test_friday_plus_one_working_day_is_monday():
    assert add_working_days(date(2026, 6, 5), 1) == date(2026, 6, 8)


def test_christmas_2026_skips_christmas_and_substitute_boxing_day():
    # 24 Dec 2026 is a Thursday; 25 Dec (Fri) and the substitute Boxing Day 28 Dec (Mon) are off.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3


def test_easter_2027_in_england_and_wales():
    assert date(2027, 3, 26) in bank_holidays()  # Good Friday
    assert date(2027, 3, 29) in bank_holidays()  # Easter Monday
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)


def test_scotland_has_2_january_and_its_own_august_holiday():
    # 2 January 2026 is a Friday; Scotland's summer holiday is the first Monday of August.
    assert add_working_days(date(2026, 1, 1), 1, division="scotland") == date(2026, 1, 5)
    assert add_working_days(date(2026, 1, 1), 1) == date(2026, 1, 2)
    assert not is_working_day(date(2026, 8, 3), division="scotland")
    assert is_working_day(date(2026, 8, 31), division="scotland")
    assert is_working_day(date(2026, 8, 3))
    assert not is_working_day(date(2026, 8, 31))
    assert not is_working_day(date(2026, 8, 31), division="northern-ireland")


def test_zero_days_on_a_saturday_is_the_next_monday():
    assert add_working_days(date(2026, 6, 6), 0) == date(2026, 6, 8)
    assert add_working_days(date(2026, 6, 8), 0) == date(2026, 6, 8)


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 6, 8), -1)


def test_unknown_division_is_refused():
    with pytest.raises(ValueError, match="wales"):
        bank_holidays("wales")


def test_aware_datetime_uses_the_london_date():
    # 23:30 UTC on Friday 3 July 2026 is 00:30 BST on Saturday 4 July.
    assert add_working_days(datetime(2026, 7, 3, 23, 30, tzinfo=UTC), 0) == date(2026, 7, 6)
    # 22:30 UTC the same evening is still Friday in London.
    assert add_working_days(datetime(2026, 7, 3, 22, 30, tzinfo=UTC), 0) == date(2026, 7, 3)
    # 23:30 UTC on Thursday 2 July is already Friday in London: one working day on is Monday.
    assert add_working_days(datetime(2026, 7, 2, 23, 30, tzinfo=UTC), 1) == date(2026, 7, 6)


def test_working_days_between_is_zero_when_end_is_not_after_start():
    assert working_days_between(date(2026, 6, 8), date(2026, 6, 8)) == 0
    assert working_days_between(date(2026, 6, 8), date(2026, 6, 1)) == 0


@pytest.mark.parametrize("division", DIVISIONS)
def test_working_days_between_inverts_add_working_days(division):
    start, checked = date(2026, 1, 1), 0
    while start < date(2027, 1, 1):
        if is_working_day(start, division):
            for n in range(31):
                end = add_working_days(start, n, division)
                assert working_days_between(start, end, division) == n, (start, n)
            checked += 1
        start += timedelta(days=1)
    assert checked > 240


def read_shipped():
    return json.loads(BANK_HOLIDAYS_PATH.read_text(encoding="utf-8"))


def test_shipped_file_has_the_govuk_shape_and_covers_2018_to_2035():
    feed = read_shipped()
    assert set(feed) == set(DIVISIONS)
    for division in DIVISIONS:
        assert feed[division]["division"] == division
        events = feed[division]["events"]
        for event in events:
            assert set(event) == {"title", "date", "notes", "bunting"}
            assert event["title"]
            assert isinstance(event["bunting"], bool)
        days = [date.fromisoformat(e["date"]) for e in events]
        assert days == sorted(days)
        assert {d.year for d in days} == set(range(2018, 2036))
        assert all(d.weekday() < 5 for d in days)
        for one_off in (date(2022, 9, 19), date(2023, 5, 8), date(2022, 6, 3)):
            assert one_off in days


def test_shipped_file_has_substitute_days():
    events = {e["date"]: e for e in read_shipped()["england-and-wales"]["events"]}
    assert events["2026-12-28"]["notes"] == "Substitute day"
    assert events["2027-12-27"]["notes"] == "Substitute day"
    assert events["2027-12-28"]["notes"] == "Substitute day"
    assert "2027-12-25" not in events  # a Saturday: GOV.UK lists only the day taken off


def govuk_feed():
    return {
        division: {
            "division": division,
            "events": [
                {"title": "Christmas Day", "date": "2030-12-25", "notes": "", "bunting": True},
                {
                    "title": "New Year\u2019s Day",
                    "date": "2030-01-01",
                    "notes": "",
                    "bunting": True,
                },
            ],
        }
        for division in DIVISIONS
    }


def malformed_feeds():
    missing_division = govuk_feed()
    del missing_division["scotland"]
    bad_date = govuk_feed()
    bad_date["northern-ireland"]["events"][0]["date"] = "2030-02-30"
    untitled = govuk_feed()
    del untitled["england-and-wales"]["events"][1]["title"]
    wrong_name = govuk_feed()
    wrong_name["scotland"]["division"] = "england-and-wales"
    return {
        "not json": "{not json",
        "a list": "[]",
        "missing division": json.dumps(missing_division),
        "bad date": json.dumps(bad_date),
        "untitled": json.dumps(untitled),
        "wrong division name": json.dumps(wrong_name),
    }


@pytest.mark.parametrize("content", malformed_feeds().values(), ids=malformed_feeds().keys())
def test_from_file_rejects_a_malformed_file_and_writes_nothing(tmp_path, content):
    downloaded = tmp_path / "bank-holidays.json"
    downloaded.write_text(content, encoding="utf-8")
    target = tmp_path / "installed.json"
    target.write_text('{"existing": true}', encoding="utf-8")
    shipped = BANK_HOLIDAYS_PATH.read_bytes()

    with pytest.raises(CommandError):
        call_command("refresh_bank_holidays", from_file=str(downloaded), output=str(target))

    assert target.read_text(encoding="utf-8") == '{"existing": true}'
    assert BANK_HOLIDAYS_PATH.read_bytes() == shipped
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank-holidays.json", "installed.json"]


def test_from_file_installs_a_valid_feed_sorted_by_date(tmp_path):
    downloaded = tmp_path / "bank-holidays.json"
    downloaded.write_text(json.dumps(govuk_feed()), encoding="utf-8")
    target = tmp_path / "installed.json"

    call_command(
        "refresh_bank_holidays", from_file=str(downloaded), output=str(target), stdout=None
    )

    installed = json.loads(target.read_text(encoding="utf-8"))
    assert set(installed) == set(DIVISIONS)
    assert [e["date"] for e in installed["scotland"]["events"]] == ["2030-01-01", "2030-12-25"]
    assert installed["scotland"]["events"][0]["title"] == "New Year\u2019s Day"


def test_regenerating_matches_the_shipped_file(tmp_path):
    target = tmp_path / "regenerated.json"

    call_command("refresh_bank_holidays", output=str(target))

    assert json.loads(target.read_text(encoding="utf-8")) == read_shipped()


def test_bank_holidays_are_loaded_once(monkeypatch):
    calendar.clear_cache()
    bank_holidays()
    monkeypatch.setattr(calendar, "BANK_HOLIDAYS_PATH", BANK_HOLIDAYS_PATH.with_name("missing"))
    assert date(2026, 12, 25) in bank_holidays()
    calendar.clear_cache()
