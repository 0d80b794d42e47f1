"""What a run checks: one probe, named by its ``service/probe`` key."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Probe


@dataclass(frozen=True)
class Target:
    key: str
    """``service/probe``"""
    probe: Probe
