"""Activations and ticks. A tick is claimed by inserting its row (ON CONFLICT DO NOTHING on
the launch plan name and tick time): of several schedulers computing the same tick, one
insert wins, with no lock held anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from graven.control_plane.persistence.schedule_models import ActivationRow, TickRow
from graven.control_plane.persistence.upserts import upsert

ACTIVATIONS = cast(Table, ActivationRow.__table__)
TICKS = cast(Table, TickRow.__table__)

# (project, domain, name): a launch plan name, which is what is activated and ticks.
PlanName = tuple[str, str, str]

# RETURNING says whether this insert made the row (rowcount is not reliable across drivers).
_CLAIM = upsert(TICKS, lambda insert: insert.on_conflict_do_nothing().returning(TICKS.c.id))
# Activating another version replaces the row; the same version keeps its activation time.
_ACTIVATE = upsert(
    ACTIVATIONS,
    lambda insert: insert.on_conflict_do_update(
        index_elements=[ACTIVATIONS.c.project, ACTIVATIONS.c.domain, ACTIVATIONS.c.name],
        set_={
            "version": insert.excluded.version,
            "activated_at": insert.excluded.activated_at,
            "activated_by": insert.excluded.activated_by,
        },
        where=ACTIVATIONS.c.version != insert.excluded.version,
    ),
)


@dataclass(frozen=True)
class NewTick:
    name: PlanName
    version: str
    tick_at: datetime
    execution_name: str
    skipped_before: int


class ScheduleRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def activate(self, name: PlanName, version: str, at: datetime, by: str) -> ActivationRow:
        project, domain, plan = name
        values = {
            "project": project,
            "domain": domain,
            "name": plan,
            "version": version,
            "activated_at": at,
            "activated_by": by,
        }
        with self._sessions.begin() as session:
            session.execute(_ACTIVATE(session.connection()), [values])
            row = session.get(ActivationRow, name)
            assert row is not None
            return row

    def deactivate(self, name: PlanName, version: str) -> str | None:
        """Delete the activation (of ``version`` only, when given); the version that was
        active, or None if nothing was deleted."""
        with self._sessions.begin() as session:
            row = session.get(ActivationRow, name, with_for_update=True)
            if row is None or (version and row.version != version):
                return None
            deleted = row.version
            session.delete(row)
            return deleted

    def activations(
        self, project: str = "", domain: str = "", after: PlanName | None = None, limit: int = 0
    ) -> list[ActivationRow]:
        """By (project, domain, name); filtered when project or domain is given."""
        query = select(ActivationRow).order_by(
            ActivationRow.project, ActivationRow.domain, ActivationRow.name
        )
        if project:
            query = query.where(ActivationRow.project == project)
        if domain:
            query = query.where(ActivationRow.domain == domain)
        if after is not None:
            key = tuple_(ActivationRow.project, ActivationRow.domain, ActivationRow.name)
            query = query.where(key > tuple_(*after))
        if limit:
            query = query.limit(limit)
        with self._sessions() as session:
            return list(session.scalars(query))

    def last_ticks(self) -> dict[PlanName, datetime]:
        """The latest tick of every active name that has one: one index lookup per name
        (the tick key), however many ticks history holds."""
        latest = (
            select(func.max(TickRow.tick_at))
            .where(
                TickRow.project == ActivationRow.project,
                TickRow.domain == ActivationRow.domain,
                TickRow.name == ActivationRow.name,
            )
            .scalar_subquery()
        )
        query = select(ActivationRow.project, ActivationRow.domain, ActivationRow.name, latest)
        with self._sessions() as session:
            return {(p, d, n): at for p, d, n, at in session.execute(query) if at is not None}

    def claim(self, ticks: Sequence[NewTick], state: int, at: datetime) -> list[bool]:
        """Insert the ticks' rows in one transaction; for each, whether this call inserted it
        (False: another scheduler claimed that tick first)."""
        claimed = []
        with self._sessions.begin() as session:
            statement = _CLAIM(session.connection())
            for tick in ticks:
                project, domain, plan = tick.name
                values: dict[str, Any] = {
                    "project": project,
                    "domain": domain,
                    "name": plan,
                    "version": tick.version,
                    "tick_at": tick.tick_at,
                    "execution_name": tick.execution_name,
                    "state": state,
                    "skipped_before": tick.skipped_before,
                    "claimed_at": at,
                    "launched_at": None,
                    "error": "",
                }
                claimed.append(session.execute(statement, values).first() is not None)
        return claimed

    def in_state(self, state: int, limit: int) -> list[TickRow]:
        """Ticks in ``state``, oldest first (claimed ticks not launched yet, by anyone)."""
        query = select(TickRow).where(TickRow.state == state).order_by(TickRow.tick_at)
        with self._sessions() as session:
            return list(session.scalars(query.limit(limit)))

    def finish(self, tick_id: int, from_state: int, state: int, at: datetime, error: str) -> None:
        """Record what became of a tick; a tick another scheduler finished first is left."""
        with self._sessions.begin() as session:
            session.execute(
                update(TickRow)
                .where(TickRow.id == tick_id, TickRow.state == from_state)
                .values(state=state, launched_at=at, error=error)
            )

    def ticks(self, name: PlanName, before: datetime | None, limit: int) -> list[TickRow]:
        """Ticks of one name, newest first, those before ``before`` when given."""
        project, domain, plan = name
        query = select(TickRow).where(
            TickRow.project == project, TickRow.domain == domain, TickRow.name == plan
        )
        if before is not None:
            query = query.where(TickRow.tick_at < before)
        query = query.order_by(TickRow.tick_at.desc()).limit(limit)
        with self._sessions() as session:
            return list(session.scalars(query))
