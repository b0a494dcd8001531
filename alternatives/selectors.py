"""Reads of the public directory: filters from the query string, listings, comparison."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import QueryDict

from alternatives.models import ATTRIBUTE_NAMES, Alternative, Category, Stance

MAX_COMPARE = 12


@dataclass(frozen=True)
class DirectoryFilters:
    """The filters in the query string: `?category=privacy&attr=open_source&attr=eu_based`.

    Categories combine with OR (any of the ticked categories), attributes with AND (every ticked
    attribute is a verified "yes"). Unknown values are ignored, so a stale or mangled link still works.
    """

    categories: tuple[str, ...] = field(default_factory=tuple)
    attributes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_query(cls, query: QueryDict) -> DirectoryFilters:
        categories = [c for c in Category.values if c in query.getlist("category")]
        attributes = [a for a in ATTRIBUTE_NAMES if a in query.getlist("attr")]
        return cls(categories=tuple(categories), attributes=tuple(attributes))

    @property
    def active(self) -> bool:
        return bool(self.categories or self.attributes)


def directory_listing(*, filters: DirectoryFilters) -> list[Alternative]:
    """Published entries matching the filters, except those the campaign advises to avoid."""
    queryset = Alternative.objects.published().exclude(stance=Stance.AVOID)
    if filters.categories:
        queryset = queryset.filter(category__in=filters.categories)
    for attribute in filters.attributes:
        queryset = queryset.filter(**{attribute: True})
    return list(queryset)


def directory_avoid() -> list[Alternative]:
    """Published entries the campaign advises to avoid. Never filtered away: the warning always shows."""
    return list(Alternative.objects.published().filter(stance=Stance.AVOID))


def alternative_published_by_slug(*, slug: str) -> Alternative | None:
    return Alternative.objects.published().filter(slug=slug).first()


def alternatives_for_comparison(*, slugs: list[str]) -> list[Alternative]:
    """The published entries named by `slugs` (in directory order), or all of them when none is named."""
    queryset: QuerySet[Alternative] = Alternative.objects.published()
    wanted = [s for s in slugs if s and len(s) <= 80][:MAX_COMPARE]
    if wanted:
        queryset = queryset.filter(slug__in=wanted)
    return list(queryset)


def alternatives_published() -> QuerySet[Alternative]:
    return Alternative.objects.published()
