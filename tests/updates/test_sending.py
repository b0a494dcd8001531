"""Sending an update: each consenting supporter once, in their language, in batches, skipping whoever
left; approval by a second organiser; pause and resume; the RFC 8058 headers; the weekly cap."""

from __future__ import annotations

import pytest

from pledges import services as pledge_services
from pledges.models import Pledge
from tests.updates.conftest import make_subscriber, make_update
from updates import selectors, services
from updates.models import Delivery, DeliveryState, Update, UpdateStatus
from updates.services import UpdateError

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _send(update: Update) -> str:
    services.update_start(update=update, actor=None, enqueue=False)
    return services.update_run(update_id=update.pk)


def _recipients(mailbox) -> list[str]:
    return sorted(m["X-Envelope-To"] for m in mailbox.messages)


def test_it_sends_each_consenting_supporter_one_copy_in_their_language(smtp_mailbox, no_rate_limit) -> None:
    make_subscriber(email="en@example.org", language="en")
    make_subscriber(email="fr@example.org", language="fr")
    make_pledge_without_consent = make_subscriber(email="no@example.org", updates_consent=False)
    make_subscriber(email="pending@example.org", status="pending")
    update = make_update()
    assert selectors.audience_size(update) == 2

    assert _send(update) == "done"

    messages = smtp_mailbox.wait_for(2)
    assert _recipients(smtp_mailbox) == ["en@example.org", "fr@example.org"]
    by_to = {m["X-Envelope-To"]: m for m in messages}
    assert by_to["en@example.org"]["Subject"] == "News from the boycott"
    assert by_to["fr@example.org"]["Subject"] == "Nouvelles du boycott"
    assert "nombreux" in smtp_mailbox.text_of(by_to["fr@example.org"])
    update.refresh_from_db()
    assert update.status == UpdateStatus.SENT
    assert selectors.update_progress(update)["sent"] == 2
    assert make_pledge_without_consent.email not in _recipients(smtp_mailbox)


def test_running_it_again_sends_nobody_a_second_copy(smtp_mailbox, no_rate_limit) -> None:
    for n in range(5):
        make_subscriber(email=f"s{n}@example.org")
    update = make_update()
    _send(update)
    smtp_mailbox.wait_for(5)
    Update.objects.filter(pk=update.pk).update(status=UpdateStatus.SENDING)  # as if resumed by mistake
    services.update_start(update=Update.objects.get(pk=update.pk), actor=None, enqueue=False)
    services.update_run(update_id=update.pk)
    assert len(smtp_mailbox.messages) == 5


def test_a_delivery_cut_off_mid_smtp_is_never_resent(smtp_mailbox, no_rate_limit, settings) -> None:
    """The state a kill -9 leaves: one delivery claimed (sending) but not stamped; the rest queued."""
    settings.UPDATES_BATCH_SIZE = 3
    subscribers = [make_subscriber(email=f"c{n}@example.org") for n in range(3)]
    update = make_update()
    services.update_start(update=update, actor=None, enqueue=False)
    update.refresh_from_db()
    services._record_next_batch(update)
    Delivery.objects.filter(update=update, supporter=subscribers[0].supporter).update(
        state=DeliveryState.SENDING
    )

    services.update_start(update=update, actor=None, enqueue=False)  # the organiser resumes
    services.update_run(update_id=update.pk)

    assert _recipients(smtp_mailbox) == ["c1@example.org", "c2@example.org"]
    cut = Delivery.objects.get(update=update, supporter=subscribers[0].supporter)
    assert cut.state == DeliveryState.UNKNOWN


def test_it_skips_whoever_withdrew_erased_unsubscribed_or_bounced_before_their_turn(
    smtp_mailbox, no_rate_limit, settings
) -> None:
    settings.UPDATES_BATCH_SIZE = 2
    stay = make_subscriber(email="stay@example.org")
    withdrew = make_subscriber(email="withdrew@example.org")
    erased = make_subscriber(email="erased@example.org")
    unsubscribed = make_subscriber(email="unsub@example.org")
    bounced = make_subscriber(email="bounced@example.org")
    update = make_update()
    services.update_start(update=update, actor=None, enqueue=False)
    # All five are recorded before anyone is mailed; then they leave.
    update.refresh_from_db()
    services._record_next_batch(update)
    services._record_next_batch(update)
    services._record_next_batch(update)
    assert Delivery.objects.filter(update=update, state=DeliveryState.QUEUED).count() == 5
    pledge_services.pledge_withdraw(pledge=withdrew)
    pledge_services.supporter_erase(supporter=erased.supporter)
    services.supporter_unsubscribe(supporter=unsubscribed.supporter)
    services.bounce_record(address="bounced@example.org", kind="hard", source="test")

    services.update_run(update_id=update.pk)

    assert _recipients(smtp_mailbox) == ["stay@example.org"]
    states = dict(Delivery.objects.filter(update=update).values_list("supporter_id", "state"))
    assert states[stay.supporter_id] == DeliveryState.SENT
    for gone in (withdrew, erased, unsubscribed, bounced):
        assert states[gone.supporter_id] == DeliveryState.SKIPPED


def test_recipients_are_read_in_batches_by_keyset(smtp_mailbox, no_rate_limit, settings) -> None:
    settings.UPDATES_BATCH_SIZE = 4
    for n in range(10):
        make_subscriber(email=f"k{n}@example.org")
    update = make_update()
    services.update_start(update=update, actor=None, enqueue=False)

    assert services.update_send_batch(update_id=update.pk) == "more"
    assert Delivery.objects.filter(update=update).count() == 4
    assert services.update_send_batch(update_id=update.pk) == "more"
    assert Delivery.objects.filter(update=update).count() == 8
    update.refresh_from_db()
    assert update.cursor == max(Delivery.objects.filter(update=update).values_list("supporter_id", flat=True))
    assert services.update_run(update_id=update.pk) == "done"
    assert len(smtp_mailbox.wait_for(10)) == 10


def test_the_audience_narrows_by_country_kind_and_event() -> None:
    from tests.events.conftest import make_event, make_rsvp

    fr_cancelled = make_subscriber(email="a@example.org", country="FR", kind="cancelled")
    make_subscriber(email="b@example.org", country="DE", kind="cancelled")
    fr_shared = make_subscriber(email="c@example.org", country="FR", kind="shared")
    event = make_event()
    make_rsvp(event, email="c@example.org", status="confirmed")

    def ids(update):
        return set(selectors.audience_queryset(update).values_list("pk", flat=True))

    assert ids(make_update(countries=["fr"])) == {fr_cancelled.supporter_id, fr_shared.supporter_id}
    assert ids(make_update(countries=["FR"], kinds=["cancelled"])) == {fr_cancelled.supporter_id}
    assert ids(make_update(event_id=event.pk)) == {fr_shared.supporter_id}


def test_bad_audience_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UpdateError, match="Unknown country"):
        make_update(countries=["ZZ"])
    with pytest.raises(UpdateError, match="Unknown pledge kind"):
        make_update(kinds=["quit"])
    with pytest.raises(UpdateError, match="French subject and the French body"):
        make_update(subject_fr="Salut", body_fr="")
    assert not Update.objects.exists()


def test_sending_needs_a_second_organisers_approval(organisers, settings, smtp_mailbox) -> None:
    from quitgpt.models import AuditEntry

    settings.UPDATES_REQUIRE_APPROVAL = True
    settings.UPDATES_RATE_PER_SECOND = 0
    alice, bob = organisers
    make_subscriber(email="s@example.org")
    update = make_update(actor=alice)
    with pytest.raises(UpdateError, match="approval"):
        services.update_start(update=update, actor=alice, enqueue=False)
    with pytest.raises(UpdateError, match="another organiser"):
        services.update_approve(update=update, actor=alice)
    services.update_approve(update=update, actor=bob)
    update.refresh_from_db()
    services.update_start(update=update, actor=alice, enqueue=False)
    services.update_run(update_id=update.pk)
    assert len(smtp_mailbox.wait_for(1)) == 1
    actions = list(AuditEntry.objects.filter(target_id=str(update.pk)).values_list("action", flat=True))
    assert {"update.create", "update.approve", "update.send", "update.sent"} <= set(actions)


def test_with_approval_off_the_author_can_send_alone(organisers, settings) -> None:
    settings.UPDATES_REQUIRE_APPROVAL = False
    alice, _bob = organisers
    update = make_update(actor=alice)
    services.update_start(update=update, actor=alice, enqueue=False)
    assert Update.objects.get(pk=update.pk).status == UpdateStatus.SENDING


def test_it_pauses_and_resumes_where_it_stopped(smtp_mailbox, no_rate_limit, settings) -> None:
    settings.UPDATES_BATCH_SIZE = 3
    for n in range(7):
        make_subscriber(email=f"p{n}@example.org")
    update = make_update()
    services.update_start(update=update, actor=None, enqueue=False)
    services.update_send_batch(update_id=update.pk)
    assert services.update_pause(update=update, actor=None)
    assert services.update_send_batch(update_id=update.pk) == "busy"  # paused: nothing more goes
    assert len(smtp_mailbox.messages) == 3
    services.update_start(update=update, actor=None, enqueue=False)
    assert services.update_run(update_id=update.pk) == "done"
    assert len(smtp_mailbox.wait_for(7)) == 7
    assert len(set(_recipients(smtp_mailbox))) == 7


def test_each_update_carries_the_one_click_unsubscribe_headers_and_a_visible_link(
    smtp_mailbox, no_rate_limit
) -> None:
    pledge = make_subscriber(email="h@example.org")
    update = make_update()
    _send(update)
    [message] = smtp_mailbox.wait_for(1)
    url = services.unsubscribe_url(pledge.supporter_id)
    assert message["List-Unsubscribe"].strip() == f"<{url}>"  # unfolded (a long header is folded)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].startswith(f"<update-{update.pk}.{pledge.supporter_id}@")
    assert message["Date"]
    html = smtp_mailbox.text_of(message, "html")
    text = smtp_mailbox.text_of(message)
    assert "<title>News from the boycott</title>" in html
    assert url in html and url in text
    assert "/privacy/" in text and "/pledge/manage/" in text
    assert "<" not in text.replace("<https", "")  # the text part is text, not HTML
    assert "We are **many**." in text


def test_markdown_is_rendered_without_raw_html_images_or_tracking(smtp_mailbox, no_rate_limit) -> None:
    make_subscriber(email="m@example.org")
    update = make_update(
        body_en='Hi <script>alert(1)</script> <img src="https://t.example/p.gif"> '
        "![x](https://t.example/i.png) [site](https://quitgpt.example/)"
    )
    _send(update)
    html = smtp_mailbox.text_of(smtp_mailbox.wait_for(1)[0], "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert '<a href="https://quitgpt.example/">site</a>' in html  # the link as written: no click tracking


def test_nobody_gets_more_than_the_weekly_cap(smtp_mailbox, no_rate_limit, settings) -> None:
    settings.UPDATES_PER_WEEK = 1
    make_subscriber(email="cap@example.org")
    _send(make_update())
    second = make_update(subject_en="Again")
    _send(second)
    assert len(smtp_mailbox.messages) == 1
    assert Delivery.objects.get(update=second).state == DeliveryState.SKIPPED


def test_a_hard_bounced_address_is_not_mailed_again(smtp_mailbox, no_rate_limit) -> None:
    make_subscriber(email="Bounce.Me@example.org")
    services.bounce_record(address="bounce.me@example.org", kind="hard", source="test")
    update = make_update()
    assert selectors.audience_size(update) == 0
    _send(update)
    assert smtp_mailbox.messages == []


def test_a_test_send_goes_to_the_organiser_in_each_language_through_the_outbox(
    organisers, smtp_mailbox
) -> None:
    from outbox.services import outbox_send

    alice, _bob = organisers
    update = make_update(actor=alice)
    from django.db import transaction

    with transaction.atomic():
        pass
    services.update_test_send(update=update, actor=alice, to=alice.email)
    from outbox.models import OutboundEmail

    for row in OutboundEmail.objects.all():
        outbox_send(pk=row.pk)
    subjects = sorted(m["Subject"] for m in smtp_mailbox.wait_for(2))
    assert subjects == ["News from the boycott", "Nouvelles du boycott"]
    assert all(m["X-Envelope-To"] == "alice@example.org" for m in smtp_mailbox.messages)
    assert Pledge.objects.count() == 0


def test_pages_where_candidates_fall_out_move_on_to_the_end(smtp_mailbox, no_rate_limit, settings) -> None:
    settings.UPDATES_BATCH_SIZE = 3
    wanted = []
    for n in range(12):
        pledge = make_subscriber(email=f"w{n}@example.org", country="FR" if n % 4 == 0 else "DE")
        if n % 4 == 0:
            wanted.append(pledge.email)
    update = make_update(countries=["FR"])
    assert _send(update) == "done"
    assert _recipients(smtp_mailbox) == sorted(wanted)
    assert Delivery.objects.filter(update=update).count() == 3
