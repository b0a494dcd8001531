import pytest
from django.contrib.auth import get_user_model

from quitgpt.audit import audit_record
from quitgpt.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_to_which_object_and_why() -> None:
    alice = get_user_model().objects.create_user("alice", "alice@example.org", "pw")
    target = get_user_model().objects.create_user("bob", "bob@example.org", "pw")
    audit_record(
        actor=alice, action="user.deactivate", target=target, reason="left the team", details={"n": 1}
    )
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.actor_label, entry.action) == (alice, "alice", "user.deactivate")
    assert (entry.target_type, entry.target_id, entry.reason) == (
        "auth.user",
        str(target.pk),
        "left the team",
    )


def test_the_system_is_the_actor_of_background_jobs() -> None:
    entry = audit_record(actor=None, action="tally.recount")
    assert entry.actor is None and entry.actor_label == "system"


def test_the_admin_shows_the_log_read_only(admin_client) -> None:
    audit_record(actor=None, action="tally.recount", reason="nightly")
    response = admin_client.get("/admin/quitgpt/auditentry/")
    assert response.status_code == 200
    assert b"tally.recount" in response.content
    assert admin_client.get("/admin/quitgpt/auditentry/add/").status_code == 403
