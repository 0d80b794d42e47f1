"""View models: what each page may show, built once from the organisation for one audience.

Templates, the JSON API, the feed and the badges all read these objects and nothing else. Internal-only
facts (people, roles, timelines, schedules, probe errors) live in ``internal`` fields that stay None for
the public audience, so the public build cannot show them even by a template mistake.

One module per view family (``status``, ``services``, ``incidents``, ``maintenance``, ``reliability``,
``oncall``) over a shared ``base.Scope``; ``assemble.build`` puts them together. The names below are the
surface the renderers and tests use.
"""

from .assemble import SiteView, build
from .base import IMPACT_LABEL, UPDATE_LABEL, Scope, format_percent, slug
from .incidents import (
    ActionItemView,
    AffectedView,
    IncidentInternal,
    IncidentRef,
    IncidentView,
    MonthView,
    PostmortemView,
    TimelineView,
    UpdateView,
    incident_src,
    months_of,
    postmortem_src,
    recent_months,
)
from .maintenance import CALENDAR_HORIZON, UPCOMING_HORIZON, CalendarEntry, MaintenanceView
from .oncall import CALENDAR_DAYS, LayerView, OverrideView, PolicyView, ScheduleView, ShiftView, StepView, handoff_text
from .reliability import ReliabilityView, RepeatView, ResponseRow, SloView
from .services import DayLevel, DayView, ProbeView, ResponseChart, ServiceInternal, ServiceView, Sparkline, service_src
from .status import HOME_MONTHS, GroupView, StatusView

__all__ = [
    "CALENDAR_DAYS",
    "CALENDAR_HORIZON",
    "HOME_MONTHS",
    "IMPACT_LABEL",
    "UPCOMING_HORIZON",
    "UPDATE_LABEL",
    "ActionItemView",
    "AffectedView",
    "CalendarEntry",
    "DayLevel",
    "DayView",
    "GroupView",
    "IncidentInternal",
    "IncidentRef",
    "IncidentView",
    "LayerView",
    "MaintenanceView",
    "MonthView",
    "OverrideView",
    "PolicyView",
    "PostmortemView",
    "ProbeView",
    "ReliabilityView",
    "RepeatView",
    "ResponseChart",
    "ResponseRow",
    "ScheduleView",
    "Scope",
    "ServiceInternal",
    "ServiceView",
    "ShiftView",
    "SiteView",
    "SloView",
    "Sparkline",
    "StatusView",
    "StepView",
    "TimelineView",
    "UpdateView",
    "build",
    "format_percent",
    "handoff_text",
    "incident_src",
    "months_of",
    "postmortem_src",
    "recent_months",
    "service_src",
    "slug",
]
