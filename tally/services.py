"""The tally's entry points: every write to the tally's tables, re-exported from the module that owns it.

Views, admin, tasks and commands import from here (`from tally import services`). Where the code lives:
- `tally.rules`: who counts (`held_state`, `derive_states`, `COUNTED_SQL`, `HELD_SQL`), all derived from
  `pledges.models.pledge_counts`;
- `tally.engine`: the incremental job (`tally_recompute`), dirty supporters to aggregates;
- `tally.lock`: the job's lock (`tally_lock`);
- `tally.snapshot`: publishing snapshots (`tally_snapshot_publish`) and pruning their history;
- `tally.recount`: the full recount, drift and repair (`tally_recount`);
- `tally.reported`: organisers' reported tallies (`reported_tally_save`, `reported_tally_delete`);
- `tally.demo`: demo data and synthetic pledges (`demo_pledges_seed`).
"""

from __future__ import annotations

from tally.demo import (
    DEMO_COUNTRIES,
    DEMO_DOMAIN,
    RESERVED_SUFFIXES,
    RealPledgesPresent,
    SeedResult,
    _demo_address,
    _insert_select_sql,
    _next_demo_number,
    _seed_orm,
    _seed_postgres,
    demo_pledges_seed,
    real_pledges_exist,
)
from tally.engine import (
    BATCH_SIZE,
    STATE_COLUMNS,
    BucketKey,
    Deltas,
    RecomputeResult,
    _add_applied_state_to_aggregates,
    _applied_states,
    _apply_batch,
    _apply_deltas,
    _pledge_rows,
    _store_applied_states,
    tally_recompute,
)
from tally.lock import LOCK_CACHE_KEY, LOCK_CACHE_TTL, LOCK_KEY, tally_lock
from tally.recount import (
    _aggregates_from_applied_state,
    _diff,
    _expected_aggregates,
    _found_aggregates,
    _mark_mismatched_postgres,
    _rebuild_applied_state,
    tally_recount,
)
from tally.reported import (
    _publish_after_commit,
    headline_settings_save,
    reported_tally_delete,
    reported_tally_save,
)
from tally.rules import COUNTED_SQL, EMPTY, HELD, SupporterState, derive_states, held_state, utc_day
from tally.snapshot import _prune_snapshots, _snapshot_figures, tally_snapshot_publish

__all__ = [
    "BATCH_SIZE",
    "COUNTED_SQL",
    "DEMO_COUNTRIES",
    "DEMO_DOMAIN",
    "EMPTY",
    "HELD",
    "LOCK_CACHE_KEY",
    "LOCK_CACHE_TTL",
    "LOCK_KEY",
    "RESERVED_SUFFIXES",
    "STATE_COLUMNS",
    "BucketKey",
    "Deltas",
    "RealPledgesPresent",
    "RecomputeResult",
    "SeedResult",
    "SupporterState",
    "_add_applied_state_to_aggregates",
    "_aggregates_from_applied_state",
    "_applied_states",
    "_apply_batch",
    "_apply_deltas",
    "_demo_address",
    "_diff",
    "_expected_aggregates",
    "_found_aggregates",
    "_insert_select_sql",
    "_mark_mismatched_postgres",
    "_next_demo_number",
    "_pledge_rows",
    "_prune_snapshots",
    "_publish_after_commit",
    "_rebuild_applied_state",
    "_seed_orm",
    "_seed_postgres",
    "_snapshot_figures",
    "_store_applied_states",
    "demo_pledges_seed",
    "derive_states",
    "headline_settings_save",
    "held_state",
    "real_pledges_exist",
    "reported_tally_delete",
    "reported_tally_save",
    "tally_lock",
    "tally_recompute",
    "tally_recount",
    "tally_snapshot_publish",
    "utc_day",
]
