"""Notification channels: where pages and updates go, as apprise URLs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..fields import Id, ShortText
from .base import Model

ChannelKind = Literal["slack", "email", "webhook", "pagerduty", "teams", "sms", "discord", "telegram", "other"]


class Channel(Model):
    id: Id
    name: ShortText
    kind: ChannelKind
    url: str = Field(
        min_length=1,
        description=(
            "Apprise URL. Secrets go in ${ENV_VAR} references, resolved only when sending. "
            "'{address}' is replaced by the person's contact for this channel."
        ),
    )
    personal: bool = Field(default=False, description="True when the URL needs a person's own address (email, SMS).")


class ChannelsFile(Model):
    """policies/channels.yaml"""

    channels: list[Channel] = Field(min_length=1)
