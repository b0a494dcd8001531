"""Organisers in the admin: filters, search, audited bulk actions, formula-safe CSV, bulk invalidation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from pledges.models import BlockedAddress, BlockedNetwork, Pledge, PledgeSettings, Supporter
from quitgpt.models import AuditEntry
from tests.pledges.conftest import make_pledge

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/pledges/pledge/"


def act(admin_client, action: str, pledges, reason: str = "checked by hand", **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in pledges], "apply": "1", "reason": reason}
    return admin_client.post(CHANGELIST, {**data, **extra})


def test_the_changelist_filters_and_searches(admin_client, django_assert_max_num_queries) -> None:
    make_pledge(email="findme@example.org", first_name="Findme", status="confirmed")
    make_pledge(email="other@example.org", first_name="Other", suspicious=True)
    for query in [
        "?q=findme",
        "?status__exact=confirmed",
        "?suspicious__exact=1",
        "?kind__exact=cancelled",
        "?supporter__country__exact=FR",
        "?supporter__wall_consent__exact=0",
        f"?created_at__year={timezone.now().year}",
    ]:
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200, query
    html = admin_client.get(CHANGELIST + "?q=findme").content.decode()
    assert "findme@example.org" in html and "other@example.org" not in html
    for n in range(30):
        make_pledge()
    with django_assert_max_num_queries(12):
        assert admin_client.get(CHANGELIST).status_code == 200


def test_a_moderation_action_asks_for_a_reason_then_is_audited(admin_client, admin_user) -> None:
    pledge = make_pledge(status="confirmed")
    page = admin_client.post(CHANGELIST, {"action": "mark_spam", ACTION_CHECKBOX_NAME: [pledge.pk]})
    assert page.status_code == 200 and "Reason" in page.content.decode()
    assert Pledge.objects.get().status == "confirmed"
    missing = act(admin_client, "mark_spam", [pledge], reason="")
    assert missing.status_code == 200 and Pledge.objects.get().status == "confirmed"
    Supporter.objects.update(tally_dirty=False)
    response = act(admin_client, "mark_spam", [pledge], reason="bot wave")
    assert response.status_code == 302
    assert Pledge.objects.get().status == "spam"
    assert Supporter.objects.get().tally_dirty
    entry = AuditEntry.objects.get(action="pledge.mark_spam")
    assert (entry.actor, entry.reason, entry.target_id) == (admin_user, "bot wave", str(pledge.pk))
    # The pledge's page shows its trail.
    assert "bot wave" in admin_client.get(f"{CHANGELIST}{pledge.pk}/change/").content.decode()


def test_restore_brings_back_a_confirmed_pledge(admin_client) -> None:
    pledge = make_pledge(status="spam", confirmed_at=timezone.now())
    act(admin_client, "restore", [pledge])
    assert Pledge.objects.get().status == "confirmed"
    assert AuditEntry.objects.filter(action="pledge.restore").count() == 1


def test_clearing_suspicion_puts_a_pledge_back_in_the_count(admin_client) -> None:
    pledge = make_pledge(status="confirmed", suspicious=True)
    act(admin_client, "clear_suspicion", [pledge])
    assert Pledge.objects.counted().count() == 1
    assert AuditEntry.objects.filter(action="pledge.clear_suspicion").count() == 1


def test_approving_and_hiding_a_wall_message(admin_client, client) -> None:
    pledge = make_pledge(status="confirmed", wall_consent=True, first_name="Wally", message="hello")
    act(admin_client, "approve_wall", [pledge], reason="")
    assert "Wally" in client.get("/supporters/").content.decode()
    act(admin_client, "hide_wall", [pledge], reason="rude")
    assert "Wally" not in client.get("/supporters/").content.decode()
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "pledge.approve_wall",
        "pledge.hide_wall",
    ]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_export_is_formula_safe_and_confirmed_only_or_all(admin_client) -> None:
    confirmed = make_pledge(status="confirmed", message='=HYPERLINK("http://evil")', first_name="Ann")
    pending = make_pledge(status="pending", message="+1 -2 @x")
    only = _csv(
        admin_client.post(
            CHANGELIST, {"action": "export_confirmed_csv", ACTION_CHECKBOX_NAME: [confirmed.pk, pending.pk]}
        )
    )
    header, rows = only[0], only[1:]
    assert len(rows) == 1
    assert rows[0][header.index("message")] == '\'=HYPERLINK("http://evil")'
    everything = _csv(
        admin_client.post(
            CHANGELIST, {"action": "export_all_csv", ACTION_CHECKBOX_NAME: [confirmed.pk, pending.pk]}
        )
    )
    assert len(everything) == 3
    assert "'+1 -2 @x" in [row[header.index("message")] for row in everything]
    assert AuditEntry.objects.filter(action="pledges.export_csv").count() == 2


def test_bulk_invalidation_previews_the_count_then_records_the_reason(admin_client, admin_user) -> None:
    bad = [make_pledge(email=f"b{n}@spam.example", status="confirmed") for n in range(3)]
    make_pledge(email="x@sub.spam.example")
    good = make_pledge(email="fine@example.org", status="confirmed")
    url = CHANGELIST + "invalidate/"
    assert admin_client.get(url).status_code == 200
    preview = admin_client.post(url, {"domain": "spam.example", "preview": "1"})
    assert "4 pledges match" in preview.content.decode()
    assert Pledge.objects.filter(status="spam").count() == 0
    no_reason = admin_client.post(url, {"domain": "spam.example", "apply": "1"})
    assert "Say why" in no_reason.content.decode()
    Supporter.objects.update(tally_dirty=False)
    done = admin_client.post(url, {"domain": "spam.example", "apply": "1", "reason": "spam wave"})
    assert done.status_code == 302
    assert Pledge.objects.filter(status="spam").count() == 4
    assert Pledge.objects.get(pk=good.pk).status == "confirmed"
    assert Supporter.objects.filter(tally_dirty=True).count() == 4
    entry = AuditEntry.objects.get(action="pledges.invalidate")
    assert entry.actor == admin_user and entry.reason == "spam wave" and entry.details["count"] == 4
    assert sorted(entry.details["pledge_ids"])[:3] == sorted(p.pk for p in bad)


def test_bulk_invalidation_by_ip_hash_and_dates(admin_client) -> None:
    old = make_pledge(ip_hash="a" * 64)
    Pledge.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    recent = make_pledge(ip_hash="a" * 64)
    make_pledge(ip_hash="b" * 64)
    url = CHANGELIST + "invalidate/"
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    admin_client.post(url, {"ip_hash": "a" * 64, "since": since, "apply": "1", "reason": "flood"})
    assert list(Pledge.objects.filter(status="spam").values_list("pk", flat=True)) == [recent.pk]


def test_bulk_invalidation_needs_a_criterion(admin_client) -> None:
    make_pledge()
    response = admin_client.post(CHANGELIST + "invalidate/", {"apply": "1", "reason": "x"})
    assert "Give at least one criterion" in response.content.decode()
    assert not Pledge.objects.filter(status="spam").exists()


def test_organisers_edit_the_switches_and_block_lists_with_an_audit_trail(admin_client, client) -> None:
    response = admin_client.get("/admin/pledges/pledgesettings/")
    assert response.status_code == 302
    assert "Signing is paused" not in client.get("/pledge/").content.decode()  # the switch is now cached
    admin_client.post(
        "/admin/pledges/pledgesettings/1/change/",
        {"signing_paused": "on", "short_limit": 2, "short_window": 60, "long_limit": 5, "long_window": 300},
    )
    assert PledgeSettings.load().signing_paused
    # Saving forgets the cached switch: the public form says so at once.
    assert "Signing is paused" in client.get("/pledge/").content.decode()
    admin_client.post(
        "/admin/pledges/blockedaddress/add/",
        {"email_normalised": "T.Roll+x@GoogleMail.com", "reason": "abuse"},
    )
    assert BlockedAddress.objects.get().email_normalised == "troll@gmail.com"
    bad = admin_client.post("/admin/pledges/blockednetwork/add/", {"network": "not-a-range"})
    assert bad.status_code == 200 and not BlockedNetwork.objects.exists()
    admin_client.post("/admin/pledges/blockednetwork/add/", {"network": "203.0.113.0/24", "reason": "flood"})
    admin_client.post("/admin/pledges/blockeddomain/add/", {"domain": "@Spam.Example", "reason": "flood"})
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "pledgesettings.change",
        "blockedaddress.add",
        "blockednetwork.add",
        "blockeddomain.add",
    } <= actions


def test_pledges_are_read_only_in_the_admin(admin_client) -> None:
    pledge = make_pledge()
    admin_client.post(f"{CHANGELIST}{pledge.pk}/change/", {"status": "confirmed"})
    assert Pledge.objects.get().status == "pending"
    assert admin_client.get(f"{CHANGELIST}{pledge.pk}/delete/").status_code == 403


def test_the_moderation_pages_are_for_staff_only(client) -> None:
    assert client.get(CHANGELIST).status_code == 302
    assert client.get(CHANGELIST + "invalidate/").status_code == 302
