"""Signing: one pledge per kind per mailbox, the same answer whatever happened, one email per submission."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from pledges.models import Pledge, PledgeSettings, Supporter
from pledges.services import pledge_create
from tests.pledges.conftest import FORM, make_pledge

pytestmark = pytest.mark.django_db


def test_it_creates_a_pending_pledge_and_says_check_your_email(sign, outbox) -> None:
    response = sign()
    assert response.status_code == 303
    assert response["Location"] == "/pledge/check-your-email/"
    pledge = Pledge.objects.get()
    person = pledge.supporter
    assert (pledge.status, pledge.kind, pledge.email, person.first_name, str(person.country)) == (
        "pending",
        "cancelled",
        "jane@example.org",
        "Jane",
        "FR",
    )
    assert not person.wall_consent and not person.updates_consent
    assert len(outbox) == 1


def test_the_check_your_email_page_says_so(client) -> None:
    html = client.get("/pledge/check-your-email/").content.decode()
    assert "Check your email" in html


def test_it_records_both_kinds_for_one_person_with_one_email(sign, outbox) -> None:
    sign(kinds=["cancelled", "shared"])
    assert sorted(Pledge.objects.values_list("kind", flat=True)) == ["cancelled", "shared"]
    assert Supporter.objects.count() == 1
    assert len(outbox) == 1
    assert "I cancelled my paid ChatGPT subscription" in outbox[0].body
    assert "I shared the boycott" in outbox[0].body


def test_it_stores_the_normalised_address_beside_the_address_as_typed(sign) -> None:
    sign(email="Jane.Doe+news@GoogleMail.com")
    pledge = Pledge.objects.get()
    assert (pledge.email, pledge.email_normalised) == ("Jane.Doe+news@GoogleMail.com", "janedoe@gmail.com")


def test_a_repeat_from_the_same_mailbox_in_another_spelling_is_not_a_second_pledge(sign, outbox) -> None:
    first = sign(email="jane.doe@gmail.com")
    second = sign(email="JaneDoe+again@googlemail.com", ip="192.0.2.99")
    assert Pledge.objects.count() == 1
    # No hint: the same answer both times.
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    # Still pending: the confirmation is sent again.
    assert len(outbox) == 2
    assert all("Confirm your QuitGPT pledge" in m.subject for m in outbox)


def test_a_repeat_after_confirming_sends_a_you_have_already_pledged_note(sign, outbox) -> None:
    make_pledge(email="jane@example.org", status="confirmed")
    response = sign()
    assert response.status_code == 303 and response["Location"] == "/pledge/check-your-email/"
    assert Pledge.objects.count() == 1
    assert len(outbox) == 1
    assert outbox[0].subject == "You have already pledged"


def test_a_confirmed_kind_and_a_new_kind_in_one_submission_yield_one_email(sign, outbox) -> None:
    make_pledge(email="jane@example.org", status="confirmed", kind="cancelled")
    sign(kinds=["cancelled", "shared"])
    assert len(outbox) == 1
    assert outbox[0].subject == "Confirm your QuitGPT pledge"


def test_it_sends_at_most_five_emails_per_pledge(sign, outbox) -> None:
    for n in range(8):
        sign(ip=f"192.0.2.{n + 1}")
    assert Pledge.objects.count() == 1
    assert len(outbox) == 5
    assert Pledge.objects.get().emails_sent == 5


def test_the_database_refuses_a_second_pledge_of_a_kind_for_a_mailbox() -> None:
    from django.db import IntegrityError, transaction

    make_pledge(email="a@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_pledge(email="A+x@example.org")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("spellings", "kinds"),
    [
        (["race@example.org"], ["cancelled"]),  # identical submissions
        (["Race.Condition+{n}@gmail.com", "racecondition@googlemail.com"], ["cancelled", "shared"]),
    ],
)
def test_many_concurrent_identical_submissions_create_exactly_one_pledge(spellings, kinds) -> None:
    PledgeSettings.objects.update(short_limit=1000, long_limit=1000)
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            pledge_create(
                email=spellings[n % len(spellings)].format(n=n),
                kinds=kinds,
                country="DE",
                ip=f"198.51.100.{n}",
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert Supporter.objects.count() == 1
    assert sorted(Pledge.objects.values_list("kind", flat=True)) == sorted(kinds)
    # Every submission owed one email at most, and the budget caps the total.
    assert all(p.emails_sent <= 5 for p in Pledge.objects.all())


def test_the_form_carries_the_referral_code_in_a_hidden_field(client) -> None:
    make_pledge(share_code="abcDEF123")
    html = client.get("/pledge/?ref=abcDEF123").content.decode()
    assert 'type="hidden" name="ref" value="abcDEF123"' in html


def test_it_records_the_referral_code_that_brought_the_pledger(sign) -> None:
    make_pledge(share_code="abcDEF123", email="sharer@example.org")
    sign(ref="abcDEF123")
    assert Pledge.objects.get(email="jane@example.org").referral_code == "abcDEF123"


def test_the_home_page_carries_the_pledge_form_and_sets_no_cookie(client) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert 'action="/pledge/"' in html and 'name="email"' in html
    assert "csrfmiddlewaretoken" not in html
    assert not response.cookies


def test_the_pledge_page_sets_no_cookie_even_after_a_submission(client, sign) -> None:
    response = client.get("/pledge/")
    assert not response.cookies
    assert not sign().cookies


def test_a_cross_site_post_is_refused(client) -> None:
    response = client.post("/pledge/", FORM, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not Pledge.objects.exists()


def test_the_email_is_in_the_signers_language(sign, outbox) -> None:
    sign(path="/fr/pledge/")
    pledge = Pledge.objects.get()
    assert pledge.supporter.language == "fr"
    assert outbox[0].subject == "Confirmez votre engagement QuitGPT"
    assert "/fr/pledge/confirm/" in outbox[0].body


def test_the_email_has_a_text_and_an_html_part_with_a_long_random_token(sign, outbox) -> None:
    from tests.pledges.conftest import link_in

    sign()
    message = outbox[0]
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    token = link_in(message, "confirm").rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 22  # 128 bits in URL-safe base64 at least
    pledge = Pledge.objects.get()
    assert token not in pledge.token_hash and len(pledge.token_hash) == 64
    assert mail.outbox[0].to == ["jane@example.org"]


def test_the_cookie_free_forms_work_under_strict_csrf_checks(django_capture_on_commit_callbacks) -> None:
    """Browsers post these forms without a CSRF cookie: the same-origin check replaces it."""
    from django.test import Client

    from pledges.services import manage_token_for
    from tests.pledges.conftest import link_in

    browser = Client(enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/pledge/", FORM, HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 303
    path = link_in(mail.outbox[-1], "confirm")
    assert browser.post(path, {"action": "confirm"}, HTTP_SEC_FETCH_SITE="same-origin").status_code == 302
    pledge = Pledge.objects.get()
    manage = f"/pledge/manage/{manage_token_for(pledge.supporter)}/"
    data = {"action": "withdraw", "supporter": pledge.supporter_id, "pledge": pledge.pk}
    assert browser.post(manage, data, HTTP_SEC_FETCH_SITE="same-origin").status_code == 303
    assert Pledge.objects.get().status == "withdrawn"
    assert not browser.cookies
