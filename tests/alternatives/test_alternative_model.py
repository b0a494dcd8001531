from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from alternatives.models import Alternative, Stance

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_the_database_refuses_an_avoid_entry_without_a_public_reason(make_alternative, reason: str) -> None:
    with pytest.raises(IntegrityError, match="alternatives_avoid_has_reason"), transaction.atomic():
        make_alternative(stance=Stance.AVOID, reason_en=reason)


@pytest.mark.postgres
def test_the_database_refuses_to_clear_the_reason_of_an_avoid_entry(make_alternative) -> None:
    entry = make_alternative(stance=Stance.AVOID, reason_en="Because.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alternative.objects.filter(pk=entry.pk).update(reason_en="")


@pytest.mark.postgres
def test_an_entry_that_is_not_avoided_needs_no_reason(make_alternative) -> None:
    assert make_alternative(stance=Stance.LISTED, reason_en="").pk


@pytest.mark.postgres
@pytest.mark.parametrize("slug", ["compare", "suggest", "how-to-switch"])
def test_the_database_refuses_a_slug_that_would_shadow_a_page(make_alternative, slug: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_alternative(slug=slug)


@pytest.mark.postgres
def test_the_database_refuses_an_unknown_stance_or_category(make_alternative) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_alternative(stance="love")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_alternative(category="cheap")


def test_texts_follow_the_language_and_fall_back_to_english(make_alternative) -> None:
    entry = make_alternative(summary_en="English", summary_fr="Français", body_en="Body", body_fr="")
    with translation.override("fr"):
        assert entry.summary == "Français"
        assert entry.body == "Body"
    with translation.override("en"):
        assert entry.summary == "English"


def test_attributes_are_yes_no_or_not_checked(make_alternative) -> None:
    entry = make_alternative(open_source=True, eu_based=False)
    values = {name: value for name, _label, value in entry.attribute_values()}
    assert values["open_source"] is True
    assert values["eu_based"] is False
    assert values["self_hostable"] is None


@pytest.mark.postgres
def test_the_database_refuses_a_nameless_entry_or_suggestion(make_alternative) -> None:
    from alternatives.models import Suggestion

    with pytest.raises(IntegrityError), transaction.atomic():
        make_alternative(name="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(name="")
