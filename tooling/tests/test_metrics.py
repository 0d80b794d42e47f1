"""Reliability figures: response times, frequency, repeat causes, detection, uptime and SLO budgets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from watchbill import metrics
from watchbill.models import Incident, Service
from watchbill.state.snapshot import DayStat

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def incident(ident: str = "INC-2026-0001", **fields: Any) -> Incident:
    data: dict[str, Any] = {
        "id": ident,
        "title": "Something broke",
        "severity": "SEV-1",
        "status": "resolved",
        "services": [{"service": "api", "impact": "major_outage"}],
        "detected_by": "customer",
        "started_at": "2026-11-20T10:00:00Z",
        "detected_at": "2026-11-20T10:10:00Z",
        "acknowledged_at": "2026-11-20T10:20:00Z",
        "mitigated_at": "2026-11-20T11:00:00Z",
        "resolved_at": "2026-11-20T12:00:00Z",
    }
    data.update(fields)
    return Incident.model_validate(data)


def service(**fields: Any) -> Service:
    data: dict[str, Any] = {"id": "api", "name": "API", "owner": "primary", "slo": {"target": 99.0, "window": "10d"}}
    data.update(fields)
    return Service.model_validate(data)


def test_response_times_are_means_from_detection_per_severity_with_mttr_from_start_offered() -> None:
    rows = metrics.response_times(
        [
            incident("INC-2026-0001"),
            incident("INC-2026-0002", detected_at="2026-11-20T10:30:00Z", acknowledged_at="2026-11-20T10:40:00Z"),
            incident("INC-2026-0003", severity="SEV-2"),
        ]
    )
    assert [r.severity for r in rows] == ["SEV-1", "SEV-2"]
    sev1 = rows[0]
    assert sev1.incidents == 2
    assert sev1.mttd == metrics.Mean(timedelta(minutes=20), 2)
    assert sev1.mtta == metrics.Mean(timedelta(minutes=10), 2)
    assert sev1.mttm.value == timedelta(minutes=40)
    assert sev1.mttr.value == timedelta(minutes=100)
    assert sev1.mttr_other.value == timedelta(hours=2)
    from_start = metrics.response_times([incident()], origin="started")[0]
    assert (from_start.mttr.value, from_start.mttr_other.value) == (timedelta(hours=2), timedelta(minutes=110))


def test_means_are_rounded_to_the_second_not_truncated() -> None:
    durations = [timedelta(seconds=1), timedelta(seconds=2)]
    assert metrics.mean(durations).value == timedelta(seconds=2)


def test_targets_are_compared_from_detection_with_cadence_as_the_longest_gap() -> None:
    from watchbill.models import SeverityTargets

    targets = SeverityTargets.model_validate(
        {"acknowledge": "5m", "first_update": "15m", "update_every": "30m", "resolve": "4h"}, strict=False
    )
    updates = [
        {"at": "2026-11-20T10:20:00Z", "status": "investigating", "message": "Looking."},
        {"at": "2026-11-20T11:30:00Z", "status": "resolved", "message": "Fixed."},
    ]
    checks = {c.name: c for c in metrics.target_checks(incident(updates=updates), targets, NOW)}
    assert (checks["acknowledge"].actual, checks["acknowledge"].met) == (timedelta(minutes=10), False)
    assert checks["first_update"].met is True
    assert (checks["update_every"].actual, checks["update_every"].met) == (timedelta(minutes=70), False)
    assert (checks["resolve"].actual, checks["resolve"].met) == (timedelta(minutes=110), True)
    still_open = incident(status="identified", acknowledged_at=None, mitigated_at=None, resolved_at=None)
    early = {
        c.name: c.met for c in metrics.target_checks(still_open, targets, datetime(2026, 11, 20, 10, 12, tzinfo=UTC))
    }
    assert early == {"acknowledge": None, "first_update": None, "update_every": None, "resolve": None}
    rows = metrics.target_attainment([incident(updates=updates)], {"SEV-1": targets}, NOW)
    assert (rows[0].share("resolve"), rows[0].share("acknowledge")) == (1.0, 0.0)


def test_repeat_rate_counts_a_service_hit_again_within_thirty_days() -> None:
    rate = metrics.repeat_rate(
        [
            incident("INC-2026-0001", started_at="2026-10-01T10:00:00Z"),
            incident("INC-2026-0002", started_at="2026-10-20T10:00:00Z", detected_at="2026-10-20T10:00:00Z"),
            incident("INC-2026-0003", started_at="2026-11-20T10:00:00Z"),
        ]
    )
    assert rate.repeats == (("INC-2026-0002", "INC-2026-0001"),)
    assert rate.share == pytest.approx(1 / 3)


def test_action_item_completion_leaves_dropped_items_out_of_the_rate() -> None:
    pm = {
        "summary": "s",
        "impact": "i",
        "root_cause": "r",
        "action_items": [
            {"title": "a", "owner": "bob", "due": "2026-11-01", "status": "done", "closed_on": "2026-10-30"},
            {"title": "b", "owner": "bob", "due": "2026-11-01", "status": "open"},
            {"title": "c", "owner": "bob", "due": "2026-12-01", "status": "wont_do"},
        ],
    }
    done = metrics.action_item_completion([incident(postmortem=pm)], NOW.date())
    assert (done.done, done.open, done.overdue, done.wont_do, done.on_time, done.rate) == (1, 1, 1, 1, 1, 0.5)


def test_incidents_per_service_per_quarter_cover_the_last_four_quarters() -> None:
    quarters, table = metrics.per_service_quarter(
        [incident(), incident("INC-2026-0002", started_at="2026-02-01T10:00:00Z", detected_at="2026-02-01T10:00:00Z")],
        now=NOW,
    )
    assert quarters == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert table == {"api": [1, 0, 0, 1]}


def test_an_open_incident_counts_only_for_the_milestones_it_reached() -> None:
    still_open = incident(
        "INC-2026-0002", status="identified", acknowledged_at=None, mitigated_at=None, resolved_at=None
    )
    row = metrics.summarise("all", [incident(), still_open])
    assert row.mttd.count == 2
    assert row.mtta == metrics.Mean(timedelta(minutes=10), 1)
    assert row.mttr.count == 1


def test_no_incidents_means_no_mean_rather_than_zero() -> None:
    assert metrics.mean([]) == metrics.Mean(None, 0)


def test_frequency_lists_every_month_including_empty_ones() -> None:
    counts = metrics.frequency_by_month(
        [
            incident("INC-2026-0001", started_at="2026-11-02T00:00:00Z", detected_at="2026-11-02T00:00:00Z"),
            incident(
                "INC-2026-0002", severity="SEV-2", started_at="2026-09-30T23:00:00Z", detected_at="2026-09-30T23:00:00Z"
            ),
            incident("INC-2025-0001", started_at="2025-01-01T00:00:00Z", detected_at="2025-01-01T00:00:00Z"),
        ],
        now=NOW,
        months=3,
    )
    assert [c.month for c in counts] == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert [c.total for c in counts] == [1, 0, 1]
    assert counts[0].by_severity == {"SEV-2": 1}


def test_previous_months_cross_the_year_boundary() -> None:
    months = metrics.previous_months(datetime(2026, 2, 10, tzinfo=UTC), 3)
    assert months == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def test_repeat_causes_need_two_postmortems_naming_the_same_category() -> None:
    def with_cause(ident: str, category: str) -> Incident:
        pm = {"summary": "s", "impact": "i", "root_cause": "r", "root_cause_category": category}
        return incident(ident, postmortem=pm)

    repeats = metrics.repeat_causes(
        [
            with_cause("INC-2026-0001", "config-change"),
            with_cause("INC-2026-0002", "capacity"),
            with_cause("INC-2026-0003", "config-change"),
            incident("INC-2026-0004"),
        ]
    )
    assert repeats == [metrics.RepeatCause("config-change", ("INC-2026-0001", "INC-2026-0003"))]


def test_detection_mix_gives_the_share_our_monitoring_caught() -> None:
    mix = metrics.detection_mix(
        [
            incident("INC-2026-0001", detected_by="monitor", probe="api/health"),
            incident("INC-2026-0002", detected_by="monitor", probe="api/health"),
            incident("INC-2026-0003", detected_by="customer"),
            incident("INC-2026-0004", detected_by="internal"),
        ]
    )
    assert (mix.monitor, mix.customer, mix.internal) == (2, 1, 1)
    assert mix.monitor_share == 0.5
    assert mix.customer_share == 0.25
    assert metrics.DetectionMix().monitor_share is None


def test_overlapping_incidents_count_once_at_the_heavier_weight() -> None:
    major = incident("INC-2026-0001", started_at="2026-11-20T10:00:00Z", mitigated_at="2026-11-20T11:00:00Z")
    partial = incident(
        "INC-2026-0002",
        services=[{"service": "api", "impact": "partial_outage"}],
        started_at="2026-11-20T10:30:00Z",
        detected_at="2026-11-20T10:30:00Z",
        acknowledged_at="2026-11-20T10:30:00Z",
        mitigated_at="2026-11-20T12:00:00Z",
    )
    outages = metrics.outages([major, partial], "api", NOW)
    assert [(o.start.hour, o.start.minute, o.end.hour, o.weight) for o in outages] == [
        (10, 0, 11, 1.0),
        (11, 0, 12, 0.3),
    ]


def test_degraded_performance_is_not_downtime() -> None:
    slow = incident(services=[{"service": "api", "impact": "degraded_performance"}])
    assert metrics.outages([slow], "api", NOW) == []


def test_an_open_incident_is_downtime_until_now() -> None:
    still_open = incident(
        status="investigating",
        started_at="2026-11-23T11:00:00Z",
        detected_at="2026-11-23T11:00:00Z",
        acknowledged_at=None,
        mitigated_at=None,
        resolved_at=None,
    )
    (outage,) = metrics.outages([still_open], "api", NOW)
    assert outage.end == NOW


def test_daily_uptime_takes_the_worse_of_probes_and_incidents() -> None:
    outages = [metrics.Outage(datetime(2026, 11, 22, 0, tzinfo=UTC), datetime(2026, 11, 22, 2, 24, tzinfo=UTC), 1.0)]
    probe_days = [DayStat(date(2026, 11, 22), 100, 1), DayStat(date(2026, 11, 21), 100, 5)]
    days = metrics.daily_uptime(outages, probe_days, days=3, now=NOW, needs_probe_data=True)
    assert [d.day for d in days] == [date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)]
    assert days[0].uptime == pytest.approx(0.95)
    assert days[1].uptime == pytest.approx(0.9)
    assert days[2].uptime is None


def test_a_day_without_probe_data_is_perfect_only_for_services_without_probes() -> None:
    (day,) = metrics.daily_uptime([], [], days=1, now=NOW, needs_probe_data=False)
    assert day.uptime == 1.0
    assert day.seconds == 12 * 3600


def test_uptime_ratio_weights_days_by_their_length_and_skips_unknown_days() -> None:
    days = [
        metrics.DayUptime(date(2026, 11, 21), 0.5, 86400),
        metrics.DayUptime(date(2026, 11, 22), None, 86400),
        metrics.DayUptime(date(2026, 11, 23), 1.0, 43200),
    ]
    assert metrics.uptime_ratio(days) == pytest.approx((0.5 * 86400 + 43200) / (86400 + 43200))
    assert metrics.uptime_ratio([days[1]]) is None


def test_slo_budget_is_the_allowed_downtime_over_the_window() -> None:
    days = metrics.daily_uptime(
        [metrics.Outage(datetime(2026, 11, 20, 0, tzinfo=UTC), datetime(2026, 11, 20, 1, 12, tzinfo=UTC), 1.0)],
        [],
        days=90,
        now=NOW,
        needs_probe_data=False,
    )
    slo = metrics.slo_status(service(), days, now=NOW)
    assert slo is not None
    assert slo.budget == timedelta(days=10) * 0.01
    assert slo.consumed == pytest.approx(timedelta(minutes=72), abs=timedelta(seconds=1))
    assert slo.remaining_share == pytest.approx(1 - 72 / 144)
    assert slo.met is True


def test_a_service_without_an_objective_has_no_slo_status() -> None:
    assert metrics.slo_status(service(slo=None), [], now=NOW) is None
