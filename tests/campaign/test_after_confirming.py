"""After confirming: "I switched to", referrals that show results, the renewal reminder."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from alternatives.models import Alternative
from campaign.models import RenewalReminder, Switch
from campaign.tasks import refresh_campaign_figures, send_renewal_reminders
from pledges import services
from pledges.models import Supporter
from tally.services import tally_recompute
from tests.pledges.conftest import FORM

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _token(thanks_url: str) -> str:
    return urlsplit(thanks_url).query.split("k=")[1].split("&")[0]


def test_the_thank_you_page_offers_the_switch_only_to_the_person_who_confirmed(join, client) -> None:
    pledge, thanks = join("ada@example.org")
    private = client.get(thanks)
    assert "I switched to" in private.content.decode()
    assert "no-store" in private["Cache-Control"] and private["Referrer-Policy"] == "no-referrer"
    # The same page through the public share code alone shows no form.
    public = client.get(f"/pledge/thanks/{pledge.share_code}/")
    assert public.status_code == 200 and "I switched to" not in public.content.decode()
    assert "public" in public["Cache-Control"]
    forged = client.get(f"/pledge/thanks/{pledge.share_code}/?k=" + "0" * 64)
    assert "I switched to" not in forged.content.decode()


def test_switches_are_counted_for_counted_supporters_only(join, client, admin_user) -> None:
    lumo = Alternative.objects.get(slug="lumo")
    _, thanks_a = join("a@example.org")
    _, thanks_b = join("b@example.org")
    pledge_c, thanks_c = join("c@example.org")
    for thanks in (thanks_a, thanks_b, thanks_c):
        code = urlsplit(thanks).path.split("/")[3]
        done = client.post(
            f"/pledge/manage/{_token(thanks)}/switch/",
            {"alternative": "lumo", "thanks": code},
            HTTP_SEC_FETCH_SITE="same-origin",
        )
        assert done.status_code == 303 and "done=switched" in done["Location"]
    assert Switch.objects.filter(alternative=lumo).count() == 3
    services.pledge_mark_spam(pledges=[pledge_c], actor=admin_user, reason="bot")  # no longer counted
    tally_recompute()  # applies the confirmations
    refresh_campaign_figures()  # the beat task, every 2 minutes
    tally_recompute()
    api = {a["slug"]: a["switched"] for a in client.get("/api/alternatives").json()["alternatives"]}
    assert api["lumo"] == 2 and api["claude"] == 0
    assert client.get("/api/tally").json()["switched"] == {"lumo": 2}
    directory = client.get("/alternatives/").content.decode()
    card = directory[directory.index('id="alt-lumo"') :]
    assert "2 supporters switched to it" in card[: card.index("</article>")]
    how = client.get("/how-we-count/").content.decode()
    assert "Lumo: <strong>2</strong>" in how


def test_a_switch_needs_a_listed_alternative_and_the_private_token(join, client) -> None:
    _, thanks = join("ada@example.org")
    token = _token(thanks)
    bad = client.post(
        f"/pledge/manage/{token}/switch/", {"alternative": "grok"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    assert (
        client.post(
            "/pledge/manage/" + "0" * 64 + "/switch/",
            {"alternative": "lumo"},
            HTTP_SEC_FETCH_SITE="same-origin",
        ).status_code
        == 404
    )
    cross = client.post(
        f"/pledge/manage/{token}/switch/", {"alternative": "lumo"}, HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert cross.status_code == 403
    assert not Switch.objects.exists()


def test_a_pending_supporter_cannot_say_they_switched(client, outbox) -> None:
    client.post("/pledge/", {**FORM, "email": "p@example.org"}, HTTP_SEC_FETCH_SITE="same-origin")
    supporter = Supporter.objects.get(email_normalised="p@example.org")
    token = services.manage_token_for(supporter)
    response = client.post(
        f"/pledge/manage/{token}/switch/", {"alternative": "lumo"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 400 and not Switch.objects.exists()


def test_erasure_forgets_the_switch_and_the_reminder_and_the_export_has_them(join, client) -> None:
    _, thanks = join("ada@example.org")
    token = _token(thanks)
    client.post(f"/pledge/manage/{token}/switch/", {"alternative": "lumo"}, HTTP_SEC_FETCH_SITE="same-origin")
    renews = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(f"/pledge/manage/{token}/reminder/", {"renews_on": renews}, HTTP_SEC_FETCH_SITE="same-origin")
    data = client.get(f"/pledge/manage/{token}/my-data.json").json()
    assert data["switched_to"] == "lumo" and data["renewal_reminder"]["renews_on"] == renews
    services.supporter_erase(supporter=Supporter.objects.get(email_normalised="ada@example.org"))
    assert not Switch.objects.exists() and not RenewalReminder.objects.exists()


def test_the_manage_page_tells_how_many_joined_through_ones_link(join, client, admin_user) -> None:
    inviter, thanks = join("ada@example.org")
    token = _token(thanks)
    join("f1@example.org", ref=inviter.share_code)
    join("f2@example.org", ref=inviter.share_code)
    spam, _ = join("f3@example.org", ref=inviter.share_code)
    client.post(
        "/pledge/",
        {**FORM, "email": "pending@example.org", "ref": inviter.share_code},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    services.pledge_mark_spam(pledges=[spam], actor=admin_user)
    tally_recompute()
    html = client.get(f"/pledge/manage/{token}/").content.decode()
    assert "2 people joined through your link (confirmed and counted)." in html


def test_the_admin_reports_conversions_per_share_code(join, client, admin_client) -> None:
    inviter, _ = join("ada@example.org")
    # Two visits of the share link, counted by its landing page's pixel (/r/<code>).
    client.get(f"/r/{inviter.share_code}/seen.gif", REMOTE_ADDR="198.51.100.1")
    client.get(f"/r/{inviter.share_code}/seen.gif", REMOTE_ADDR="198.51.100.2")
    join("f1@example.org", ref=inviter.share_code)
    client.post(
        "/pledge/",
        {**FORM, "email": "pending@example.org", "ref": inviter.share_code},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    tally_recompute()
    html = admin_client.get("/admin/campaign/watchalert/conversions/").content.decode()
    assert f"<td><code>{inviter.share_code}</code></td><td>2</td><td>2</td><td>1</td><td>1</td>" in html


# --- The renewal reminder --------------------------------------------------------------------------------
def test_a_reminder_needs_a_date_from_tomorrow_on(join, client) -> None:
    _, thanks = join("ada@example.org")
    token = _token(thanks)
    for bad in ("", "not a date", timezone.localdate().isoformat(), "2999-01-01"):
        response = client.post(
            f"/pledge/manage/{token}/reminder/", {"renews_on": bad}, HTTP_SEC_FETCH_SITE="same-origin"
        )
        assert response.status_code == 400, bad
    assert not RenewalReminder.objects.exists()


def test_one_email_before_the_renewal_then_one_did_you_email(join, client, request) -> None:
    _, thanks = join("ada@example.org")
    token = _token(thanks)
    today = timezone.localdate()
    renews = today + timedelta(days=10)
    code = urlsplit(thanks).path.split("/")[3]
    done = client.post(
        f"/pledge/manage/{token}/reminder/",
        {"renews_on": renews.isoformat(), "thanks": code},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert done.status_code == 303 and "done=reminder_set" in done["Location"]
    assert "We will remind you before your renewal date." in client.get(done["Location"]).content.decode()
    smtp = request.getfixturevalue("smtp_mailbox")
    from campaign.reminders import reminders_run

    assert reminders_run(today=today) == 0  # too early
    assert reminders_run(today=renews - timedelta(days=3)) == 1
    assert reminders_run(today=renews - timedelta(days=2)) == 0  # once
    before = smtp.wait_for(1)[0]
    assert before["To"] == "ada@example.org" and "renews on" in before["Subject"]
    assert "/alternatives/how-to-switch/" in smtp.text_of(before)
    assert reminders_run(today=renews) == 0
    assert reminders_run(today=renews + timedelta(days=1)) == 1
    assert reminders_run(today=renews + timedelta(days=5)) == 0
    after = smtp.wait_for(2)[1]
    assert after["Subject"] == "Did you cancel your ChatGPT subscription?"
    assert "/pledge/" in smtp.text_of(after)


def test_the_beat_task_sends_what_is_owed_and_the_french_reminder_is_french(join, client, outbox) -> None:
    _, thanks = join("ada@example.org")
    token = _token(thanks)
    renews = timezone.localdate() + timedelta(days=2)
    client.post(
        f"/fr/pledge/manage/{token}/reminder/",
        {"renews_on": renews.isoformat()},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert RenewalReminder.objects.get().language == "fr"
    outbox.clear()
    assert send_renewal_reminders() == 1
    assert outbox[0].subject.startswith("Votre abonnement ChatGPT")
    assert send_renewal_reminders() == 0


def test_a_reminder_can_be_cancelled(join, client) -> None:
    _, thanks = join("ada@example.org")
    token = _token(thanks)
    client.post(
        f"/pledge/manage/{token}/reminder/",
        {"renews_on": str(date.today() + timedelta(days=20))},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    response = client.post(
        f"/pledge/manage/{token}/reminder/", {"action": "cancel"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 303 and not RenewalReminder.objects.exists()


def test_the_guide_links_straight_to_each_place_with_the_export_first(client) -> None:
    html = client.get("/alternatives/how-to-switch/").content.decode()
    assert 'href="https://apps.apple.com/account/subscriptions"' in html
    assert 'href="https://play.google.com/store/account/subscriptions"' in html
    assert 'href="https://chatgpt.com/#settings/Account"' in html
    assert html.index('id="export"') < html.index('id="cancel"')
    assert "I am cancelling because of the QuitGPT boycott." in html
    assert "J'annule à cause du boycott QuitGPT." in html
    fr = client.get("/fr/alternatives/how-to-switch/").content.decode()
    assert "Exportez d\u2019abord vos données" in fr


def test_the_tally_job_reads_the_stored_figures_and_refreshes_them_only_when_stale(join, client) -> None:
    from campaign.figures import FIGURES_MAX_AGE
    from campaign.models import CampaignFigures

    _, thanks = join("ada@example.org")
    tally_recompute()  # no stored figures yet: the run computes them
    assert CampaignFigures.objects.get().data["switched"] == {}
    client.post(
        f"/pledge/manage/{_token(thanks)}/switch/", {"alternative": "lumo"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    tally_recompute()
    assert client.get("/api/tally").json()["switched"] == {}  # not yet refreshed
    CampaignFigures.objects.update(computed_at=timezone.now() - FIGURES_MAX_AGE - timedelta(seconds=1))
    tally_recompute()  # stale (no beat): the run refreshes them itself
    assert client.get("/api/tally").json()["switched"] == {"lumo": 1}
