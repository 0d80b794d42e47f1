"""Time zone names that load but mislead get advice naming the zone to write."""

from __future__ import annotations

import pytest

from watchbill.validate.zones import advice


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        (
            "EST",
            "fixed UTC-05:00 that never observes daylight saving time; "
            "if you mean the local time of a place, write America/New_York",
        ),
        ("MST", "never observes daylight saving time"),
        ("HST", "write Pacific/Honolulu"),
        (
            "EST5EDT",
            "legacy zone that applies today's daylight-saving rules to all of history; "
            "write the zone of a place, e.g. America/New_York",
        ),
        ("US/Eastern", "'US/Eastern' is an old alias of America/New_York; write America/New_York"),
        ("Asia/Calcutta", "write Asia/Kolkata"),
        ("Europe/Kiev", "write Europe/Kyiv"),
    ],
)
def test_misleading_zones_get_advice(name: str, fragment: str) -> None:
    text = advice(name)
    assert text is not None and fragment in text


@pytest.mark.parametrize("name", ["UTC", "America/New_York", "Europe/Berlin", "Europe/Oslo", "Etc/UTC", "GMT"])
def test_canonical_zones_and_country_zones_that_are_links_get_none(name: str) -> None:
    assert advice(name) is None
