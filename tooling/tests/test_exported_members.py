"""The public surface is pinned (httpx's test_exported_members): adding or dropping a name is a reviewed change."""

from __future__ import annotations

import watchbill
from watchbill import errors


def test_the_package_exports_exactly_its_public_surface() -> None:
    assert sorted(watchbill.__all__) == [
        "Incident",
        "InvalidOrganisation",
        "Maintenance",
        "Organisation",
        "Problem",
        "Report",
        "Schedule",
        "Service",
        "Severity",
        "WatchbillError",
        "__version__",
        "load_organisation",
        "validate",
    ]
    for name in watchbill.__all__:
        assert hasattr(watchbill, name), name


def test_every_error_a_person_can_fix_is_in_the_one_tree() -> None:
    assert sorted(errors.__all__) == [
        "DataError",
        "ForgeError",
        "OutputError",
        "RequestError",
        "StateError",
        "UsageError",
        "WatchbillError",
    ]
    assert errors.UsageError.exit_code == 2
    assert {cls.exit_code for cls in (errors.DataError, errors.RequestError, errors.ForgeError)} == {1}
    assert issubclass(watchbill.InvalidOrganisation, errors.DataError)
