"""Capacity and the waitlist: confirmations take seats in order; a cancellation promotes the next in line."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from events import services
from events.models import Rsvp, RsvpStatus
from tests.events.conftest import make_event, make_rsvp

pytestmark = pytest.mark.django_db


def statuses(rsvps) -> list[str]:
    return [Rsvp.objects.get(pk=r.pk).status for r in rsvps]


def test_confirmations_beyond_capacity_join_the_waitlist_in_order() -> None:
    event = make_event(capacity=2)
    rsvps = [make_rsvp(event) for _ in range(4)]
    for rsvp in rsvps:
        services.rsvp_confirm(rsvp_id=rsvp.pk)
    assert statuses(rsvps) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [services.rsvp_waitlist_position(rsvp=Rsvp.objects.get(pk=r.pk)) for r in rsvps] == [
        None,
        None,
        1,
        2,
    ]


def test_a_cancelled_seat_goes_to_the_first_on_the_waitlist_who_is_emailed(
    mailoutbox, django_capture_on_commit_callbacks
) -> None:
    event = make_event(capacity=1, title="Sit-in")
    rsvps = [make_rsvp(event) for _ in range(3)]
    for rsvp in rsvps:
        services.rsvp_confirm(rsvp_id=rsvp.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_cancel(rsvp_id=rsvps[0].pk)
    assert statuses(rsvps) == ["cancelled", "confirmed", "waitlisted"]
    [message] = mailoutbox
    assert message.to == [rsvps[1].email]
    assert message.subject == "A place freed up: you're going to Sit-in"
    assert "/cancel/" in message.body
    # Cancelling again changes nothing and promotes nobody else.
    services.rsvp_cancel(rsvp_id=rsvps[0].pk)
    assert statuses(rsvps) == ["cancelled", "confirmed", "waitlisted"]


def test_cancelling_a_waitlisted_rsvp_frees_no_seat() -> None:
    event = make_event(capacity=1)
    rsvps = [make_rsvp(event) for _ in range(3)]
    for rsvp in rsvps:
        services.rsvp_confirm(rsvp_id=rsvp.pk)
    services.rsvp_cancel(rsvp_id=rsvps[1].pk)
    assert statuses(rsvps) == ["confirmed", "cancelled", "waitlisted"]


def test_raising_the_capacity_promotes_the_waitlist(admin_user) -> None:
    event = make_event(capacity=1)
    rsvps = [make_rsvp(event) for _ in range(3)]
    for rsvp in rsvps:
        services.rsvp_confirm(rsvp_id=rsvp.pk)
    event.capacity = 2
    services.event_update(event=event, actor=admin_user)
    assert statuses(rsvps) == ["confirmed", "confirmed", "waitlisted"]
    # A newcomer confirming later does not jump the queue.
    event.capacity = 4
    services.event_update(event=event, actor=admin_user)
    late = make_rsvp(event)
    services.rsvp_confirm(rsvp_id=late.pk)
    assert statuses([*rsvps, late]) == ["confirmed"] * 4


def test_no_limit_means_everyone_gets_a_seat() -> None:
    event = make_event(capacity=None)
    rsvps = [make_rsvp(event) for _ in range(5)]
    for rsvp in rsvps:
        services.rsvp_confirm(rsvp_id=rsvp.pk)
    assert set(statuses(rsvps)) == {"confirmed"}


def test_the_page_shows_the_seats_left_then_the_waitlist(client) -> None:
    event = make_event(capacity=2)
    make_rsvp(event, status=RsvpStatus.CONFIRMED)
    assert "1 place left" in client.get(f"/events/{event.slug}/").content.decode()
    make_rsvp(event, status=RsvpStatus.CONFIRMED)
    make_rsvp(event, status=RsvpStatus.WAITLISTED)
    html = client.get(f"/events/{event.slug}/").content.decode()
    assert "2 people confirmed" in html
    assert "Full: new RSVPs join the waitlist." in html and "1 person waiting." in html


def test_the_database_refuses_a_second_rsvp_from_the_same_mailbox() -> None:
    event = make_event()
    make_rsvp(event, email="a@example.org", email_normalised="a@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_rsvp(event, email="A+x@example.org", email_normalised="a@example.org")


def test_the_database_refuses_an_unknown_status_or_a_confirmation_without_its_time() -> None:
    event = make_event()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_rsvp(event, status="maybe")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_rsvp(event, status=RsvpStatus.CONFIRMED, confirmed_at=None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_never_overbook() -> None:
    event = make_event(capacity=3)
    rsvps = [make_rsvp(event) for _ in range(10)]
    barrier = threading.Barrier(len(rsvps))
    errors: list[BaseException] = []

    def confirm(pk: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.rsvp_confirm(rsvp_id=pk)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(r.pk,)) for r in rsvps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    result = statuses(rsvps)
    assert result.count("confirmed") == 3
    assert result.count("waitlisted") == 7
    # The waitlist order is the order in which the confirmations got the lock.
    waitlisted = Rsvp.objects.filter(event=event, status="waitlisted").order_by("confirmed_at")
    assert [services.rsvp_waitlist_position(rsvp=r) for r in waitlisted] == list(range(1, 8))
