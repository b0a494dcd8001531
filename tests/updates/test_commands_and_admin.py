"""The shell commands and the admin drive the same services."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from quitgpt.models import AuditEntry
from tests.conftest import login_with_mfa
from tests.updates.conftest import make_subscriber, make_update
from updates.models import Update, UpdateStatus

pytestmark = pytest.mark.django_db


def test_create_update_prints_the_id_and_send_update_shows_then_sends(
    tmp_path, capsys, smtp_mailbox, settings
) -> None:
    settings.UPDATES_REQUIRE_APPROVAL = False
    settings.UPDATES_RATE_PER_SECOND = 0
    make_subscriber(email="fr1@example.org", country="FR", language="fr")
    make_subscriber(email="de1@example.org", country="DE")
    (tmp_path / "en.md").write_text("Hello **all**.", encoding="utf-8")
    (tmp_path / "fr.md").write_text("Bonjour à **tous**.", encoding="utf-8")
    call_command(
        "create_update",
        "--subject-en",
        "Hi",
        "--body-en",
        str(tmp_path / "en.md"),
        "--subject-fr",
        "Salut",
        "--body-fr",
        str(tmp_path / "fr.md"),
        "--country",
        "FR",
    )
    update_id = int(capsys.readouterr().out.strip())
    update = Update.objects.get(pk=update_id)
    assert update.countries == ["FR"] and update.body_fr == "Bonjour à **tous**."

    call_command("send_update", str(update_id))
    out = capsys.readouterr().out
    assert "Audience now: 1 (fr: 1)" in out and "Nothing sent" in out
    assert smtp_mailbox.messages == []

    call_command("send_update", str(update_id), "--yes", "--inline")
    [message] = smtp_mailbox.wait_for(1)
    assert message["X-Envelope-To"] == "fr1@example.org" and message["Subject"] == "Salut"
    assert Update.objects.get(pk=update_id).status == UpdateStatus.SENT
    with pytest.raises(CommandError, match="sent already"):
        call_command("send_update", str(update_id), "--yes", "--inline")
    assert len(smtp_mailbox.messages) == 1


def test_the_commands_refuse_bad_input_clearly(tmp_path, settings) -> None:
    settings.UPDATES_REQUIRE_APPROVAL = True
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("create_update", "--subject-en", "Hi", "--body-en", str(tmp_path / "missing.md"))
    (tmp_path / "en.md").write_text("x", encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown country"):
        call_command(
            "create_update", "--subject-en", "Hi", "--body-en", str(tmp_path / "en.md"), "--country", "XX"
        )
    with pytest.raises(CommandError, match="No update"):
        call_command("send_update", "999999")
    update = make_update()
    with pytest.raises(CommandError, match="approval"):
        call_command("send_update", str(update.pk), "--yes")
    assert Update.objects.get(pk=update.pk).status == UpdateStatus.DRAFT


def _admin(user) -> Client:
    client = Client()
    login_with_mfa(client, user)
    return client


def test_organisers_compose_preview_test_approve_and_send_in_the_admin(
    organisers, settings, smtp_mailbox, django_capture_on_commit_callbacks
) -> None:
    settings.UPDATES_REQUIRE_APPROVAL = True
    settings.UPDATES_RATE_PER_SECOND = 0
    alice, bob = organisers
    make_subscriber(email="s1@example.org")
    make_subscriber(email="s2@example.org", language="fr")
    a = _admin(alice)
    response = a.post(
        "/admin/updates/update/add/",
        {
            "subject_en": "Big news",
            "body_en": "We **won**.",
            "subject_fr": "Grande nouvelle",
            "body_fr": "Gagné.",
            "event": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    update = Update.objects.get()
    assert update.created_by == alice
    page = a.get(f"/admin/updates/update/{update.pk}/change/").content.decode()
    assert "audience now" in page.lower() and ">2<" in page
    preview = a.get(f"/admin/updates/update/{update.pk}/preview/fr/")
    assert preview.status_code == 200 and "Gagné." in preview.content.decode()

    def act(client, action):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/admin/updates/update/", {"action": action, "_selected_action": [update.pk]}, follow=True
            )

    act(a, "test_send")
    assert sorted(m["Subject"] for m in smtp_mailbox.wait_for(2)) == ["Big news", "Grande nouvelle"]
    smtp_mailbox.clear()
    assert "approval" in act(a, "send").content.decode()
    assert "another organiser" in act(a, "approve").content.decode()
    assert Update.objects.get().status == UpdateStatus.DRAFT
    b = _admin(bob)
    act(b, "approve")
    act(a, "send")
    assert sorted(m["X-Envelope-To"] for m in smtp_mailbox.wait_for(2)) == [
        "s1@example.org",
        "s2@example.org",
    ]
    assert Update.objects.get().status == UpdateStatus.SENT
    assert "2 sent of 2" in a.get(f"/admin/updates/update/{update.pk}/change/").content.decode()
    actions = set(AuditEntry.objects.filter(target_id=str(update.pk)).values_list("action", flat=True))
    assert {"update.create", "update.test_send", "update.approve", "update.send", "update.sent"} <= actions


def test_an_organiser_without_the_permission_cannot_reach_updates(db) -> None:
    from tests.accounts.helpers import make_organiser

    moderator = make_organiser("mod@example.org", role="Moderator")
    assert _admin(moderator).get("/admin/updates/update/").status_code == 403
    assert Client().get("/admin/updates/update/").status_code == 302
