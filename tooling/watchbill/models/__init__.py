"""One pydantic model per kind of file; the models are the single source of field names and schemas."""

from .base import Model
from .channel import Channel, ChannelsFile
from .escalation import EscalationPolicy, Repeat, Step, split_target
from .incident import (
    STATUS_ORDER,
    ActionItem,
    AffectedService,
    Incident,
    Postmortem,
    Roles,
    TimelineEvent,
    Update,
)
from .maintenance import Maintenance
from .people import PeopleFile, Person
from .schedule import WEEKDAYS, Handoff, Layer, MemberChange, Override, Restriction, Schedule
from .service import (
    DnsCheck,
    HeartbeatCheck,
    HttpCheck,
    JsonCondition,
    Probe,
    Service,
    ServicesFile,
    Slo,
    TcpCheck,
    TlsCheck,
)
from .settings import Settings
from .severity import PostmortemRule, SeveritiesFile, Severity, SeverityTargets

__all__ = [
    "STATUS_ORDER",
    "WEEKDAYS",
    "ActionItem",
    "AffectedService",
    "Channel",
    "ChannelsFile",
    "DnsCheck",
    "EscalationPolicy",
    "Handoff",
    "HeartbeatCheck",
    "HttpCheck",
    "Incident",
    "JsonCondition",
    "Layer",
    "Maintenance",
    "MemberChange",
    "Model",
    "Override",
    "PeopleFile",
    "Person",
    "Postmortem",
    "PostmortemRule",
    "Probe",
    "Repeat",
    "Restriction",
    "Roles",
    "Schedule",
    "Service",
    "ServicesFile",
    "Settings",
    "SeveritiesFile",
    "Severity",
    "SeverityTargets",
    "Slo",
    "Step",
    "TcpCheck",
    "TimelineEvent",
    "TlsCheck",
    "Update",
    "split_target",
]
