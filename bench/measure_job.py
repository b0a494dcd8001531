"""Times the tally job on the benchmark database: an incremental run after 1,000 new confirmations, and
the full recount. Prints JSON. Run by bench/bench.py with DATABASE_URL/REDIS_URL set."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quitgpt.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from pledges.models import Pledge, Supporter  # noqa: E402
from tally.services import tally_recompute, tally_recount  # noqa: E402


def new_pending(tag: str, n: int) -> list[int]:
    """n pending pledges from new supporters, applied to the tally (as pending) before the timed run."""
    now = timezone.now()
    with transaction.atomic():
        supporters = Supporter.objects.bulk_create(
            [Supporter(email_normalised=f"bench-{tag}-{i}@bench.quitgpt.invalid") for i in range(n)]
        )
        pledges = Pledge.objects.bulk_create(
            [
                Pledge(
                    supporter=s,
                    kind="cancelled",
                    email=s.email_normalised,
                    email_normalised=s.email_normalised,
                    share_code=f"b{tag}-{i}",
                    created_at=now,
                )
                for i, s in enumerate(supporters)
            ]
        )
    tally_recompute()
    return [p.id for p in pledges]


def confirm_all(ids: list[int]) -> None:
    """What pledge_confirm does for each, in bulk: confirm, and mark the supporters dirty."""
    with transaction.atomic():
        Pledge.objects.filter(id__in=ids).update(status="confirmed", confirmed_at=timezone.now())
        Supporter.objects.filter(pledges__id__in=ids).update(tally_dirty=True)


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    tag = secrets.token_hex(4)
    incremental, changed = [], []
    tally_recompute()  # warm the connection and the cache client
    for r in range(rounds):
        ids = new_pending(f"{tag}{r}", 1000)
        confirm_all(ids)
        result = tally_recompute()
        incremental.append(result.duration_ms)
        changed.append(result.changed)
    recounts = []
    for _ in range(rounds):
        recount = tally_recount()
        assert recount is not None and recount.matched, recount
        recounts.append(recount.duration_ms)
    print(
        json.dumps(
            {
                "incremental_ms": incremental,
                "incremental_ms_median": statistics.median(incremental),
                "incremental_changed": changed,
                "recount_ms": recounts,
                "recount_ms_median": statistics.median(recounts),
                "people": Supporter.objects.filter(tally_dirty=False).count(),
            }
        )
    )


if __name__ == "__main__":
    main()
