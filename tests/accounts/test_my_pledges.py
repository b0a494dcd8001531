"""'My pledges': a signed-in person's pledges *and* RSVPs, matched by their verified addresses only.

The owner (alice), another signed-in user (bob) and an anonymous visitor, each with the expected answer;
cancelling gives the seat to the waitlist; one download holds everything; "Erase everything" erases both.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.selectors import verified_mailboxes
from events import selectors as event_selectors
from events import services as event_services
from events.models import Rsvp, RsvpStatus
from pledges.models import Pledge
from quitgpt.models import AuditEntry
from tests.accounts.helpers import code_from_mail, make_user
from tests.events.conftest import make_event, make_rsvp
from tests.pledges.conftest import make_pledge

pytestmark = pytest.mark.django_db

PAGE = "/accounts/pledges/"
EXPORT = "/accounts/pledges/my-data.json"
# 13:00 UTC is 14:00 in Paris (CET): the page must show the event's own local time.
STARTS = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def full_event(**kwargs):
    """A one-seat event where carol holds the seat."""
    event = make_event(capacity=1, starts_at=STARTS, **kwargs)
    carol = make_rsvp(event, email="carol@example.org")
    event_services.rsvp_confirm(rsvp_id=carol.pk)
    return event, carol


def status_of(rsvp: Rsvp) -> str:
    return Rsvp.objects.get(pk=rsvp.pk).status


def test_someone_who_rsvped_signs_up_by_code_and_finds_their_rsvp(client) -> None:
    make_rsvp(make_event(title="Die-in"), email="new@example.org", status=RsvpStatus.CONFIRMED)
    client.post("/accounts/signup/", {"email": "New@Example.org"})
    client.post("/accounts/confirm-email/", {"code": code_from_mail(mail.outbox[-1])})
    response = client.get(PAGE)
    assert response.status_code == 200 and "Die-in" in response.content.decode()


def test_it_lists_the_owners_rsvps_with_their_event_local_time_status_and_place_in_line(alice) -> None:
    going = make_event(title="Sit-in at HQ", slug="sit-in", starts_at=STARTS)
    mine = make_rsvp(going, email="alice@example.org", status=RsvpStatus.CONFIRMED)
    full, _ = full_event(title="March", slug="march")
    waiting = make_rsvp(full, email="Alice@Example.org", email_normalised="alice@example.org")
    event_services.rsvp_confirm(rsvp_id=waiting.pk)
    response = signed_in(alice).get(PAGE)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]
    html = response.content.decode()
    assert '<a href="/events/sit-in/">Sit-in at HQ</a>' in html
    assert '<a href="/events/march/">March</a>' in html
    assert "Tuesday 15 January 2030, 14:00 CET" in html
    assert "Confirmed" in html and "On the waitlist</strong>: number 1 in line" in html
    for rsvp in (mine, waiting):
        assert f'name="rsvp" value="{rsvp.pk}"' in html
    assert "csrfmiddlewaretoken" in html  # a private page: the normal CSRF token
    # No pledge, yet the page is theirs to manage: the RSVPs, the download and the erase form.
    assert "No pledge is linked to your verified email addresses." in html
    assert 'href="/accounts/pledges/my-data.json"' in html and 'value="erase_everything"' in html


def test_it_shows_pledges_and_rsvps_together_and_offers_no_cancel_for_a_cancelled_rsvp(alice) -> None:
    pledge = make_pledge(status="confirmed", email="alice+news@example.org")
    cancelled = make_rsvp(make_event(), email="alice@example.org", status=RsvpStatus.CANCELLED)
    html = signed_in(alice).get(PAGE).content.decode()
    assert f'name="pledge" value="{pledge.pk}"' in html
    assert "Cancelled" in html and f'name="rsvp" value="{cancelled.pk}"' not in html


def test_an_unverified_address_matches_nothing(alice) -> None:
    make_rsvp(make_event(title="Unverified march"), email="notalice@example.org")
    make_pledge(status="confirmed", email="notalice@example.org")
    assert verified_mailboxes(user=alice) == {"alice@example.org"}
    assert event_selectors.rsvps_of_mailboxes(mailboxes=verified_mailboxes(user=alice)) == []
    client = signed_in(alice)
    html = client.get(PAGE).content.decode()
    assert "Unverified march" not in html
    assert "No RSVP is linked to your verified email addresses." in html
    assert "No pledge is linked to your verified email addresses." in html
    assert client.get(EXPORT).status_code == 404


def test_a_verified_address_matches_in_its_normalised_form() -> None:
    user = make_user("Jane.Doe+events@GoogleMail.com")
    rsvp = make_rsvp(make_event(), email="janedoe@gmail.com", email_normalised="janedoe@gmail.com")
    assert verified_mailboxes(user=user) == {"janedoe@gmail.com"}
    assert event_selectors.rsvps_of_mailboxes(mailboxes=verified_mailboxes(user=user)) == [rsvp]


def test_another_user_sees_nothing_of_alices_rsvps_and_cannot_cancel_them(alice, bob) -> None:
    event = make_event(title="Alice's action")
    theirs = make_rsvp(event, email="alice@example.org", status=RsvpStatus.CONFIRMED)
    client = signed_in(bob)
    html = client.get(PAGE).content.decode()
    assert "Alice's action" not in html and f'value="{theirs.pk}"' not in html
    for data in (
        {"action": "cancel_rsvp", "rsvp": theirs.pk},
        {"action": "cancel_rsvp", "rsvp": "not-a-number"},
        {"action": "cancel_rsvp"},
    ):
        assert client.post(PAGE, data).status_code == 400
    assert client.get(EXPORT).status_code == 404
    # Bob erasing "everything" erases his own (nothing), never Alice's.
    client.post(PAGE, {"action": "erase_everything", "confirm_erase": "yes"})
    assert status_of(theirs) == RsvpStatus.CONFIRMED


def test_an_anonymous_visitor_is_sent_to_sign_in(alice) -> None:
    rsvp = make_rsvp(make_event(), email="alice@example.org", status=RsvpStatus.CONFIRMED)
    client = Client()
    for response in (
        client.get(PAGE),
        client.get(EXPORT),
        client.post(PAGE, {"action": "cancel_rsvp", "rsvp": rsvp.pk}),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert status_of(rsvp) == RsvpStatus.CONFIRMED


def test_cancelling_frees_the_seat_for_the_first_on_the_waitlist(
    alice, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    event = make_event(capacity=1, title="Sit-in", starts_at=STARTS)
    mine = make_rsvp(event, email="alice@example.org")
    event_services.rsvp_confirm(rsvp_id=mine.pk)
    dave = make_rsvp(event, email="dave@example.org")
    event_services.rsvp_confirm(rsvp_id=dave.pk)
    assert status_of(dave) == RsvpStatus.WAITLISTED
    client = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"action": "cancel_rsvp", "rsvp": mine.pk})
    assert response.status_code == 303 and response["Location"] == f"{PAGE}?done=rsvp_cancelled"
    assert status_of(mine) == RsvpStatus.CANCELLED
    assert status_of(dave) == RsvpStatus.CONFIRMED
    [message] = mailoutbox
    assert message.to == ["dave@example.org"] and "you're going to Sit-in" in message.subject
    html = client.get(response["Location"]).content.decode()
    assert "Your RSVP is cancelled." in html and f'name="rsvp" value="{mine.pk}"' not in html
    # A self-service cancellation is the person's own act: no audit entry (as with pledges).
    assert not AuditEntry.objects.exists()


def test_the_cancel_form_needs_the_csrf_token(alice) -> None:
    rsvp = make_rsvp(make_event(), email="alice@example.org", status=RsvpStatus.CONFIRMED)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(PAGE, {"action": "cancel_rsvp", "rsvp": rsvp.pk}).status_code == 403
    assert status_of(rsvp) == RsvpStatus.CONFIRMED


def test_one_download_holds_the_pledges_and_the_rsvps(alice) -> None:
    make_pledge(status="confirmed", email="alice@example.org", message="hi")
    make_rsvp(make_event(slug="sit-in"), email="alice@example.org", name="Alice", status=RsvpStatus.CONFIRMED)
    make_rsvp(make_event(), email="bob@example.org")
    response = signed_in(alice).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["verified_addresses"] == ["alice@example.org"]
    assert [p["message"] for p in data["pledges"]] == ["hi"]
    [rsvp] = data["rsvps"]
    assert (rsvp["event"]["slug"], rsvp["email"], rsvp["name"], rsvp["status"]) == (
        "sit-in",
        "alice@example.org",
        "Alice",
        "confirmed",
    )


def test_a_download_works_with_rsvps_and_no_pledge(alice) -> None:
    make_rsvp(make_event(), email="alice@example.org")
    data = json.loads(signed_in(alice).get(EXPORT).content)
    assert data["pledges"] == [] and len(data["rsvps"]) == 1


def test_erase_everything_erases_pledges_and_rsvps_and_gives_the_seat_away(
    alice, django_capture_on_commit_callbacks
) -> None:
    pledge = make_pledge(status="confirmed", email="alice@example.org", first_name="Alice")
    event = make_event(capacity=1, starts_at=STARTS)
    seat = make_rsvp(event, email="alice@example.org")
    event_services.rsvp_confirm(rsvp_id=seat.pk)
    erin = make_rsvp(event, email="erin@example.org")
    event_services.rsvp_confirm(rsvp_id=erin.pk)
    make_rsvp(make_event(), email="alice@example.org")  # a pending one elsewhere
    client = signed_in(alice)

    refused = client.post(PAGE, {"action": "erase_everything"})
    assert refused.status_code == 400 and "Tick the box to confirm." in refused.content.decode()
    assert Rsvp.objects.filter(email_normalised="alice@example.org").count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"action": "erase_everything", "confirm_erase": "yes"})
    assert response.status_code == 303 and response["Location"] == f"{PAGE}?done=erased"
    assert not Rsvp.objects.filter(email_normalised="alice@example.org").exists()
    assert not Rsvp.objects.filter(email="alice@example.org").exists()
    assert status_of(erin) == RsvpStatus.CONFIRMED  # cancelled first: the seat went to the waitlist
    pledge.refresh_from_db()
    assert pledge.email == "" and pledge.supporter.first_name == "" and pledge.status == "withdrawn"
    assert not Pledge.objects.counted().exists()
    assert not AuditEntry.objects.exists()  # the person's own erasure, as with pledges
    html = client.get(response["Location"]).content.decode()
    assert "Everything is erased" in html and "No RSVP is linked" in html
    assert client.get(EXPORT).status_code == 404


def test_an_organisers_erasure_or_export_of_rsvps_is_audited_without_the_address(admin_user) -> None:
    event = make_event(slug="audited")
    rsvps = [make_rsvp(event, email="x@example.org"), make_rsvp(event, email="y@example.org")]
    assert len(event_services.rsvp_export(rsvps=rsvps, actor=admin_user)) == 2
    assert event_services.rsvp_erase(rsvps=rsvps, actor=admin_user, reason="request by email") == 2
    assert not Rsvp.objects.exists()
    entries = list(AuditEntry.objects.order_by("pk").values("action", "reason", "details", "target_repr"))
    assert [e["action"] for e in entries] == ["events.rsvp_export", "events.rsvp_erase", "events.rsvp_erase"]
    assert "example.org" not in json.dumps(entries)
    # Erasing again (a second click) finds nothing left and does no harm.
    assert event_services.rsvp_erase(rsvps=rsvps) == 0


def test_the_page_reads_a_bounded_number_of_queries(alice, django_assert_max_num_queries) -> None:
    EmailAddress.objects.create(user=alice, email="alice@work.example", verified=True, primary=False)
    for address in ("alice@example.org", "alice@work.example"):
        make_pledge(status="confirmed", email=address, kind="cancelled")
        make_pledge(status="confirmed", email=address, kind="shared")
    for n in range(6):
        event = make_event(capacity=1)
        make_rsvp(event, email=f"other{n}@example.org", status=RsvpStatus.CONFIRMED)
        make_rsvp(event, email="alice@example.org", status=RsvpStatus.WAITLISTED)
    client = signed_in(alice)
    with django_assert_max_num_queries(8):
        html = client.get(PAGE).content.decode()
    assert html.count("number 1 in line") == 6 and html.count('name="pledge"') == 4


def test_signed_in_people_find_my_pledges_in_the_header_and_the_account_menu(alice) -> None:
    client = signed_in(alice)
    home = client.get("/").content.decode()
    assert '<a href="/accounts/pledges/" >My pledges</a>' in home
    assert 'href="/accounts/pledges/"' in client.get("/accounts/").content.decode()
    page = client.get(PAGE).content.decode()
    assert '<a href="/accounts/pledges/" aria-current="page">My pledges</a>' in page
    french = client.get("/fr/accounts/pledges/").content.decode()
    assert "Mes engagements" in french and "Vos inscriptions aux événements" in french
    assert "My pledges" not in Client().get("/").content.decode()


def test_an_organiser_erases_rsvps_from_the_admin_and_the_seat_goes_to_the_waitlist(admin_client) -> None:
    event, carol = full_event(slug="admin-erase")
    frank = make_rsvp(event, email="frank@example.org")
    event_services.rsvp_confirm(rsvp_id=frank.pk)
    changelist = "/admin/events/rsvp/"
    assert 'value="delete_selected"' not in admin_client.get(changelist).content.decode()
    response = admin_client.post(changelist, {"action": "erase_rsvps", "_selected_action": [carol.pk]})
    assert response.status_code == 302
    assert not Rsvp.objects.filter(pk=carol.pk).exists()
    assert status_of(frank) == RsvpStatus.CONFIRMED
    entry = AuditEntry.objects.get(action="events.rsvp_erase")
    assert entry.actor_label == "admin" and entry.reason == "admin action"
