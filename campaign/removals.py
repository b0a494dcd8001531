"""The public record of removals: every batch of people removed from the count (date, how many, the
reason category), so that the count's falls are explained, not silent.

The pledges services call `removals_watch` around a change, in its transaction:

    with removals_watch(category=RemovalCategory.SPAM, supporter_ids=ids) as batch:
        ...change the pledges...
        batch.pledges = n

It records how many of those supporters counted before and count no more afterwards (by the one counting
rule, `Pledge.objects.counted()`), or nothing if none stopped counting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from campaign.models import RemovalBatch, RemovalCategory


def _counted(supporter_ids: Iterable[int]) -> set[int]:
    from pledges.models import Pledge

    ids = sorted(set(supporter_ids))
    if not ids:
        return set()
    return set(Pledge.objects.counted().filter(supporter_id__in=ids).values_list("supporter_id", flat=True))


@dataclass
class _Batch:
    category: str
    before: set[int]
    pledges: int = 0
    people: int = 0
    supporter_ids: set[int] = field(default_factory=set)


@contextmanager
def removals_watch(*, category: str, supporter_ids: Iterable[int]) -> Iterator[_Batch]:
    if category not in RemovalCategory.values:
        raise ValueError(f"unknown removal category {category!r}")
    ids = set(supporter_ids)
    with transaction.atomic():
        batch = _Batch(category=category, before=_counted(ids), supporter_ids=ids)
        yield batch
        if batch.before:
            batch.people = len(batch.before - _counted(batch.before))
            if batch.people:
                RemovalBatch.objects.create(category=category, people=batch.people, pledges=batch.pledges)


def removals_public(*, limit: int = 200) -> list[dict]:
    """The record as "How we count" shows it: per day and category, newest first. Grouped by day so that
    one person's erasure cannot be timed to the minute."""
    rows = (
        RemovalBatch.objects.annotate(day=TruncDate("created_at"))
        .values("day", "category")
        .annotate(people=Sum("people"), batches=Count("id"))
        .order_by("-day", "category")[:limit]
    )
    labels = dict(RemovalCategory.choices)
    return [{**row, "label": labels.get(row["category"], row["category"])} for row in rows]
