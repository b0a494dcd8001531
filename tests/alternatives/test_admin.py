"""Organisers edit, translate, reorder, publish and moderate; every change is kept with who and when."""

from __future__ import annotations

import pytest
from django.test import Client

from alternatives.models import Alternative, Stance, Suggestion, SuggestionStatus
from quitgpt.models import AuditEntry

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/alternatives/alternative/"


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
    admin_client: Client, admin_user, make_alternative
) -> None:
    entry = make_alternative(name="Lumo-like", summary_fr="")
    response = admin_client.post(
        f"{CHANGELIST}{entry.pk}/change/", form_data(entry, summary_fr="Un assistant.", open_source="true")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.summary_fr == "Un assistant." and entry.open_source is True
    latest = entry.history.latest()
    assert latest.history_user == admin_user
    delta = latest.diff_against(latest.prev_record)
    assert set(delta.changed_fields) == {"summary_fr", "open_source"}
    page = admin_client.get(f"{CHANGELIST}{entry.pk}/history/").content.decode()
    user_link = f'<a href="/admin/auth/user/{admin_user.pk}/change/">{admin_user.get_username()}</a>'
    assert user_link in page and "Un assistant." in page


def test_the_admin_form_requires_a_reason_to_avoid(admin_client: Client, make_alternative) -> None:
    entry = make_alternative()
    response = admin_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, stance=Stance.AVOID))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason_en"]
    entry.refresh_from_db()
    assert entry.stance == Stance.LISTED


def test_organisers_reorder_from_the_list(
    admin_client: Client, admin_user, empty_directory, make_alternative
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
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 302
    assert list(Alternative.objects.published()) == [second, first]
    assert first.history.latest().history_user == admin_user


def test_publish_and_unpublish_are_bulk_actions_kept_in_history_and_audit(
    admin_client: Client, admin_user, make_alternative
) -> None:
    a, b = make_alternative(published=False), make_alternative(published=False)
    response = admin_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert "2 alternatives published." in response.content.decode()
    assert Alternative.objects.filter(pk__in=[a.pk, b.pk], published=True).count() == 2
    assert a.history.latest().history_user == admin_user
    assert a.history.latest().history_change_reason == "alternative.publish"
    assert AuditEntry.objects.filter(action="alternative.publish", actor=admin_user).count() == 2

    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.published is False
    assert AuditEntry.objects.filter(action="alternative.unpublish", target_id=str(a.pk)).exists()
    assert a.history.latest().history_user == admin_user


def test_marking_as_reviewed_clears_the_notice_and_dates_it(admin_client: Client, make_alternative) -> None:
    entry = make_alternative(needs_review=True)
    admin_client.post(CHANGELIST, {"action": "mark_reviewed", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.needs_review is False and entry.last_reviewed is not None
    assert AuditEntry.objects.filter(action="alternative.review").exists()


def test_the_changelist_and_history_pages_load(admin_client: Client, seeded) -> None:
    grok = Alternative.objects.get(slug="grok")
    assert admin_client.get(CHANGELIST + "?stance=avoid").status_code == 200
    history = admin_client.get(f"{CHANGELIST}{grok.pk}/history/")
    assert "Seeded from the campaign&#x27;s own list" in history.content.decode()
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 200


def test_accepting_a_suggestion_creates_an_unpublished_draft_and_is_audited(
    admin_client: Client, admin_user
) -> None:
    suggestion = Suggestion.objects.create(name="Compare", website="https://x.example", ip_hash="h")
    response = admin_client.post(
        "/admin/alternatives/suggestion/", {"action": "accept", "_selected_action": [suggestion.pk]}
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED and suggestion.reviewed_by == admin_user
    draft = suggestion.alternative
    assert (draft.name, draft.published, draft.needs_review) == ("Compare", False, True)
    assert draft.slug == "compare-app"  # "compare" is a page, not an entry
    assert draft.history.latest().history_user == admin_user
    assert AuditEntry.objects.filter(action="suggestion.accept", actor=admin_user).exists()
    # Accepting twice does nothing more.
    admin_client.post(
        "/admin/alternatives/suggestion/", {"action": "accept", "_selected_action": [suggestion.pk]}
    )
    assert Alternative.objects.filter(name="Compare").count() == 1


def test_rejecting_a_suggestion_is_audited(admin_client: Client, admin_user) -> None:
    suggestion = Suggestion.objects.create(name="Nope", ip_hash="h")
    admin_client.post(
        "/admin/alternatives/suggestion/", {"action": "reject", "_selected_action": [suggestion.pk]}
    )
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.REJECTED and suggestion.reviewed_at is not None
    assert AuditEntry.objects.filter(action="suggestion.reject", target_id=str(suggestion.pk)).exists()
    queue = admin_client.get("/admin/alternatives/suggestion/?status__exact=rejected")
    assert "Nope" in queue.content.decode()


def test_only_staff_reach_the_admin(client: Client, bob) -> None:
    assert client.get(CHANGELIST).status_code == 302
    client.force_login(bob)
    assert client.get(CHANGELIST).status_code == 302


def test_publishing_from_the_edit_form_is_audited_like_the_bulk_action(
    admin_client: Client, admin_user, make_alternative
) -> None:
    entry = make_alternative(published=False)
    response = admin_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, published="on"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.published is True
    [audit] = AuditEntry.objects.filter(action="alternative.publish", target_id=str(entry.pk))
    assert audit.actor == admin_user
    # Unpublishing from the form is audited too; an edit that leaves `published` alone is not.
    admin_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, published=""))
    assert AuditEntry.objects.filter(action="alternative.unpublish", target_id=str(entry.pk)).count() == 1
    entry.refresh_from_db()
    admin_client.post(f"{CHANGELIST}{entry.pk}/change/", form_data(entry, summary_en="Edited."))
    assert AuditEntry.objects.filter(target_id=str(entry.pk)).count() == 2
