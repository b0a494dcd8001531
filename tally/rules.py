"""Who counts, in every form the tally needs, all derived from the one rule in `pledges.models`
(`COUNTED_STATUS`, `pledge_counts`: confirmed and not held as suspicious), which
`Pledge.objects.counted()` also uses.

- per pledge: `held_state`, the held class of a pledge that does not count (None if it counts);
- per supporter: `derive_states`, one supporter's desired state from its pledges (used by the job);
- in SQL: `COUNTED_SQL` and `HELD_SQL`, the same rule as fragments over a pledge aliased `p` (used by the
  set-based recount and repair), built from the same constants.

`test_every_form_of_the_counting_rule_agrees_on_every_status_and_flag` checks that they agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pledges.models import COUNTED_STATUS, PledgeStatus, pledge_counts
from tally.models import HeldState

# Computed once: TextChoices.values builds a new list on every access, and the batch loop is hot.
HELD = tuple(HeldState.values)
# Statuses in which the suspicious flag holds a pledge out: awaiting confirmation, or counted.
FLAGGABLE = (PledgeStatus.PENDING, COUNTED_STATUS)
# The held class of a pledge by its status when no flag holds it; any other status is "removed".
HELD_BY_STATUS = {PledgeStatus.PENDING: HeldState.PENDING, PledgeStatus.WITHDRAWN: HeldState.WITHDRAWN}


# --- Deriving a supporter's state from its pledges -------------------------------------------------------
def held_state(status: str, suspicious: bool) -> str | None:
    """The held class of a pledge that does not count, or None if it counts."""
    if pledge_counts(status, suspicious):
        return None
    if suspicious and status in FLAGGABLE:
        return HeldState.SUSPICIOUS
    return HELD_BY_STATUS.get(status, HeldState.REMOVED)  # spam, and any other state out of the count


@dataclass(frozen=True)
class SupporterState:
    counted: bool = False
    day: date | None = None
    country: str = ""
    kinds: str = ""
    pending: int = 0
    suspicious: int = 0
    withdrawn: int = 0
    removed: int = 0

    @property
    def empty(self) -> bool:
        return not self.counted and not (self.pending or self.suspicious or self.withdrawn or self.removed)

    def held(self) -> dict[str, int]:
        return {
            "pending": self.pending,
            "suspicious": self.suspicious,
            "withdrawn": self.withdrawn,
            "removed": self.removed,
        }


EMPTY = SupporterState()


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def derive_states(
    rows: Iterable[tuple[int, int, str, str, bool, str, datetime | None]],
) -> dict[int, SupporterState]:
    """Desired state per supporter from its pledges as (id, supporter_id, kind, status, suspicious,
    country, confirmed_at), the country being the supporter's (the same on each of its rows).

    A supporter counts once if at least one pledge counts; its kinds are those of its counted pledges;
    its day is that of its earliest counted confirmation; its country is the person's.
    """
    pledges: dict[int, list[tuple[int, int, str, str, bool, str, datetime | None]]] = defaultdict(list)
    for row in rows:
        pledges[row[1]].append(row)
    states = {}
    for supporter_id, items in pledges.items():
        held: Counter[str] = Counter()
        counted = []
        for row in items:
            state = held_state(row[3], row[4])
            if state is None:
                counted.append(row)
            else:
                held[state] += 1
        if counted:
            first = min(counted, key=lambda r: (r[6], r[0]))
            states[supporter_id] = SupporterState(
                counted=True,
                day=utc_day(first[6]),
                country=first[5] or "",
                kinds="+".join(sorted({r[2] for r in counted})),
                **{k: held[k] for k in HELD},
            )
        else:
            states[supporter_id] = SupporterState(**{k: held[k] for k in HELD})
    return states


# --- The same rule in SQL, over a pledge aliased `p` -----------------------------------------------------
def _sql_in(statuses: Iterable[str]) -> str:
    return ",".join(f"'{status}'" for status in statuses)


def _held_sql() -> dict[str, str]:
    held = {
        state: f"p.status = '{status}'" + (" AND NOT p.suspicious" if status in FLAGGABLE else "")
        for status, state in HELD_BY_STATUS.items()
    }
    held[HeldState.SUSPICIOUS] = f"p.status IN ({_sql_in(FLAGGABLE)}) AND p.suspicious"
    held[HeldState.REMOVED] = f"p.status NOT IN ({_sql_in(dict.fromkeys([*FLAGGABLE, *HELD_BY_STATUS]))})"
    return {state: held[state] for state in HELD}


COUNTED_SQL = f"p.status = '{COUNTED_STATUS}' AND NOT p.suspicious"
HELD_SQL: dict[str, str] = _held_sql()
