"""Deadlines on pauses: a call that waits for a person may wait only so long (`timeout = "24h"`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ._base import AgentgenError


@dataclass(frozen=True)
class TimeLimit:
    """How long a call may wait for a person, as the spec wrote it and in seconds."""

    after: str
    seconds: int
    escalate: bool = False
    """True: a person is asked to step in; False: the model reads the timeout and goes on."""

    def deadline(self) -> datetime:
        """When a call that starts waiting now is due (UTC, whole seconds)."""
        now = datetime.now(UTC).replace(microsecond=0)
        return now + timedelta(seconds=self.seconds)


def utc_now() -> datetime:
    """Now, in UTC: when a call starts waiting for a person (which the inbox sorts by)."""
    return datetime.now(UTC)


class DeadlineNotReached(AgentgenError, RuntimeError):
    """The pending call's deadline has not passed yet (a clock behind another machine's)."""

    http_status = 409


def check_deadline(deadline: datetime) -> None:
    """DeadlineNotReached before `deadline`."""
    now = datetime.now(UTC)
    if now < deadline:
        left = (deadline - now).total_seconds()
        due = deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise DeadlineNotReached(
            f"the pending call is due at {due}, in {left:.0f} s: not timed out"
        )
