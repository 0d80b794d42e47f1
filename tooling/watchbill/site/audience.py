"""Who a build is for, and the one place that decides what each audience may see.

Views ask these functions and copy nothing else, so a template cannot show what the view never received.
"""

from __future__ import annotations

from typing import Literal, get_args

from ..errors import UsageError
from ..models import Incident, Maintenance, Service
from ..organisation import Organisation

Audience = Literal["public", "internal"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)


class UnknownAudience(UsageError, ValueError):
    """An audience name that is neither public nor internal (a ValueError too, for mkdocs' config checks)."""


def parse_audience(text: str) -> Audience:
    if text not in AUDIENCES:
        raise UnknownAudience(f"audience must be one of {', '.join(AUDIENCES)}, not '{text}'")
    return text


def service_visible(service: Service, audience: Audience) -> bool:
    return audience == "internal" or service.public


def incident_visible(org: Organisation, incident: Incident, audience: Audience) -> bool:
    """Public readers see an incident only when it, its severity and at least one of its services are public.
    A drill is seen by nobody: the site, its API, feeds and reliability figures are for what really happened
    (``watchbill drill report`` is where an exercise is reviewed)."""
    if incident.drill:
        return False
    if audience == "internal":
        return True
    severity = org.severities.get(incident.severity)
    if incident.visibility != "public" or severity is None or not severity.public:
        return False
    return any(
        (svc := org.services.get(a.service)) is not None and service_visible(svc, audience) for a in incident.services
    )


def maintenance_visible(org: Organisation, window: Maintenance, audience: Audience) -> bool:
    if audience == "internal":
        return True
    return window.visibility == "public" and any(
        (svc := org.services.get(s)) is not None and svc.public for s in window.services
    )


def postmortem_visible(incident: Incident, audience: Audience) -> bool:
    """Drafts stay inside: a public postmortem is one its authors have marked published."""
    if incident.postmortem is None:
        return False
    return audience == "internal" or incident.postmortem.status == "published"


def visible_incidents(org: Organisation, audience: Audience) -> list[Incident]:
    return [i for i in org.incidents.values() if incident_visible(org, i, audience)]
