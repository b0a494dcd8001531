"""Organisers edit, translate, reorder, publish and moderate; every change is kept with who and when."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from alternatives.models import Alternative, Stance, Suggestion, SuggestionStatus
from quitgpt.models import AuditEntry

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/alternatives/alternative/"


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_superuser("alice", "alice@example.org", "pw")


@pytest.fixture
def alice_client(alice, mfa_login) -> Client:
    client = Client()
    mfa_login(client, alice)
    return client


def form_data(entry: Alternative, **changes) -> dict:
    data = {
        "name": entry.name,
        "slug": entry.slug,
        "maker": entry.maker,
        "website": entry.website,
        "category": entry.category,
        "summary_en": entry.summary_en,
        "summary_fr": entry.summary_fr,
        "body_en": entry.body_en,
        "body_fr": entry.body_fr,
        "stance": entry.stance,
        "reason_en": entry.reason_en,
        "reason_fr": entry.reason_fr,
        "needs_review": "on" if entry.needs_review else "",
        "last_reviewed": "",
        "order": entry.order,
        "published": "on" if entry.published else "",
    }
    for name in (
        "open_source",
        "end_to_end_encrypted",
        "no_training_on_chats",
        "eu_based",
        "free_tier",
        "mobile_apps",
        "self_hostable",
    ):
        value = getattr(entry, name)
        data[name] = {True: "true", False: "false", None: "unknown"}[value]
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_an_edit_is_kept_in_the_history_with_who_and_what(
    alice_client: Client, alice, make_alternative
) -> None:
    entry = make_alternative(name="Lumo-like", summary_fr="")
    response = alice_client.post(
        f"{CHANGELIST}{entry.pk}/change/", form_data(entry, summary_fr="Un assistant.", open_source="true")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.summary_fr == "Un assistant." and entry.open_source is True
    latest = entry.history.latest()
    assert latest.history_user == alice
    delta = latest.diff_against(latest.prev_record)
    assert set(delta.changed_fields) == {"summary_fr", "open_source"}
    page = alice_client.get(f"{CHANGELIST}{entry.pk}/history/").content.decode()
    assert "alice" in page and "Un assistant." in page


def test_the_admin_form_requires_a_reason_to_avoid(alice_client: Client, make_alternative) -> None:
    entry = make_alternative()
    response = alice_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, stance=Stance.AVOID))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason_en"]
    entry.refresh_from_db()
    assert entry.stance == Stance.LISTED


def test_organisers_reorder_from_the_list(
    alice_client: Client, alice, empty_directory, make_alternative
) -> None:
    first, second = make_alternative(order=1), make_alternative(order=2)
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": str(first.pk),
        "form-0-order": "20",
        "form-1-id": str(second.pk),
        "form-1-order": "10",
        "_save": "Save",
    }
    response = alice_client.post(CHANGELIST, data)
    assert response.status_code == 302
    assert list(Alternative.objects.published()) == [second, first]
    assert first.history.latest().history_user == alice


def test_publish_and_unpublish_are_bulk_actions_kept_in_history_and_audit(
    alice_client: Client, alice, make_alternative
) -> None:
    a, b = make_alternative(published=False), make_alternative(published=False)
    response = alice_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert "2 alternatives published." in response.content.decode()
    assert Alternative.objects.filter(pk__in=[a.pk, b.pk], published=True).count() == 2
    assert a.history.latest().history_user == alice
    assert a.history.latest().history_change_reason == "alternative.publish"
    assert AuditEntry.objects.filter(action="alternative.publish", actor=alice).count() == 2

    alice_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.published is False
    assert AuditEntry.objects.filter(action="alternative.unpublish", target_id=str(a.pk)).exists()
    assert a.history.latest().history_user == alice


def test_marking_as_reviewed_clears_the_notice_and_dates_it(alice_client: Client, make_alternative) -> None:
    entry = make_alternative(needs_review=True)
    alice_client.post(CHANGELIST, {"action": "mark_reviewed", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.needs_review is False and entry.last_reviewed is not None
    assert AuditEntry.objects.filter(action="alternative.review").exists()


def test_the_changelist_and_history_pages_load(alice_client: Client, seeded) -> None:
    grok = Alternative.objects.get(slug="grok")
    assert alice_client.get(CHANGELIST + "?stance=avoid").status_code == 200
    history = alice_client.get(f"{CHANGELIST}{grok.pk}/history/")
    assert "Seeded from the campaign&#x27;s own list" in history.content.decode()
    assert alice_client.get(f"{CHANGELIST}add/").status_code == 200


def test_accepting_a_suggestion_creates_an_unpublished_draft_and_is_audited(
    alice_client: Client, alice
) -> None:
    suggestion = Suggestion.objects.create(name="Compare", website="https://x.example", ip_hash="h")
    response = alice_client.post(
        "/admin/alternatives/suggestion/", {"action": "accept", "_selected_action": [suggestion.pk]}
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED and suggestion.reviewed_by == alice
    draft = suggestion.alternative
    assert (draft.name, draft.published, draft.needs_review) == ("Compare", False, True)
    assert draft.slug == "compare-app"  # "compare" is a page, not an entry
    assert draft.history.latest().history_user == alice
    assert AuditEntry.objects.filter(action="suggestion.accept", actor=alice).exists()
    # Accepting twice does nothing more.
    alice_client.post(
        "/admin/alternatives/suggestion/", {"action": "accept", "_selected_action": [suggestion.pk]}
    )
    assert Alternative.objects.filter(name="Compare").count() == 1


def test_rejecting_a_suggestion_is_audited(alice_client: Client, alice) -> None:
    suggestion = Suggestion.objects.create(name="Nope", ip_hash="h")
    alice_client.post(
        "/admin/alternatives/suggestion/", {"action": "reject", "_selected_action": [suggestion.pk]}
    )
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.REJECTED and suggestion.reviewed_at is not None
    assert AuditEntry.objects.filter(action="suggestion.reject", target_id=str(suggestion.pk)).exists()
    queue = alice_client.get("/admin/alternatives/suggestion/?status__exact=rejected")
    assert "Nope" in queue.content.decode()


def test_only_staff_reach_the_admin(client: Client) -> None:
    assert client.get(CHANGELIST).status_code == 302
    bob = get_user_model().objects.create_user("bob", "bob@example.org", "pw")
    client.force_login(bob)
    assert client.get(CHANGELIST).status_code == 302


def test_publishing_from_the_edit_form_is_audited_like_the_bulk_action(
    alice_client: Client, alice, make_alternative
) -> None:
    entry = make_alternative(published=False)
    response = alice_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, published="on"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.published is True
    [audit] = AuditEntry.objects.filter(action="alternative.publish", target_id=str(entry.pk))
    assert audit.actor == alice
    # Unpublishing from the form is audited too; an edit that leaves `published` alone is not.
    alice_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, published=""))
    assert AuditEntry.objects.filter(action="alternative.unpublish", target_id=str(entry.pk)).count() == 1
    entry.refresh_from_db()
    alice_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, summary_en="Edited."))
    assert AuditEntry.objects.filter(target_id=str(entry.pk)).count() == 2
