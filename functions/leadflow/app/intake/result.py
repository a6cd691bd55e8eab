"""What a batch of lead events did, and which of its messages must come back."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from leadflow.app.intake.inputs import Delivered


@dataclass
class IntakeResult:
    """What one batch did, and which messages must come back."""

    failed_message_ids: list[str] = field(default_factory=list)
    # Messages whose MQLs' journeys the batch had no time left to start: nothing failed, they are
    # sent again at once rather than after the queue's visibility timeout.
    late_message_ids: list[str] = field(default_factory=list)
    ignored: int = 0
    duplicates: int = 0  # events and records done before, dropped
    rescored: int = 0
    new_mqls: int = 0
    journeys_started: int = 0
    decisions_delivered: int = 0
    decisions_parked: int = 0
    decisions_refused: int = 0
    engagements_delivered: int = 0
    # HubSpot's daily API quota ran out under some of the work: its messages wait for the reset.
    quota_exhausted: bool = False

    def late(self, message_ids: list[str]) -> None:
        """Mark messages late (see `late_message_ids`)."""
        self.late_message_ids.extend(m for m in message_ids if m not in self.late_message_ids)

    def decided(self, outcome: Delivered) -> None:
        """Count what became of a decision."""
        self.decisions_delivered += outcome is Delivered.RESUMED
        self.decisions_parked += outcome is Delivered.KEPT
        self.decisions_refused += outcome is Delivered.REFUSED

    def add(self, other: IntakeResult) -> None:
        """Count in what another part of the same batch did."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, list):
                mine.extend(m for m in theirs if m not in mine)
            else:
                setattr(self, f.name, (mine or theirs) if isinstance(mine, bool) else mine + theirs)
