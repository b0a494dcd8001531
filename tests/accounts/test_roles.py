"""Roles: each sees and changes only its part of the admin.

The policy is written out below, literally, as the campaign decided it: the tests compare the code
(accounts.roles.ROLES, the groups in the database, what a member may do in the admin) with it, so a
wrong grant in the code fails here instead of being copied into the expectations.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.roles import (
    CAMPAIGN_ADMIN,
    EDITOR,
    MODERATOR,
    ROLES,
    roles_sync,
)
from quitgpt.models import AuditEntry
from tests.accounts.helpers import make_organiser, make_user

pytestmark = pytest.mark.django_db

# The policy: role -> model -> actions. Written out, not derived from accounts.roles.
POLICY: dict[str, dict[str, set[str]]] = {
    "Moderator": {
        "pledges.pledge": {"view", "change"},
        "pledges.supporter": {"view"},
        "events.rsvp": {"view", "change"},
        "alternatives.suggestion": {"view", "change", "delete"},
        "quitgpt.auditentry": {"view"},
        "campaign.watchalert": {"view"},
        "campaign.removalbatch": {"view"},
    },
    "Editor": {
        "alternatives.alternative": {"view", "add", "change", "delete"},
        "events.event": {"view", "add", "change", "delete"},
        "quitgpt.auditentry": {"view"},
    },
    "Campaign admin": {
        "tally.reportedtally": {"view", "add", "change", "delete"},
        "tally.recount": {"view", "change"},  # "change": run the full recount
        "pledges.pledgesettings": {"view", "change"},
        "pledges.blockeddomain": {"view", "add", "change", "delete"},
        "pledges.blockedaddress": {"view", "add", "change", "delete"},
        "pledges.blockednetwork": {"view", "add", "change", "delete"},
        "campaign.campaignsettings": {"view", "change"},
        "campaign.partner": {"view", "add", "change"},
        "campaign.watchalert": {"view"},
        "campaign.removalbatch": {"view"},
        "auth.user": {"view", "add", "change", "delete"},
        "auth.group": {"view"},
        "quitgpt.auditentry": {"view"},
        # Campaign updates: compose, approve and send (no delete: the record of what was sent stays);
        # the addresses never mailed again, and the bounces received (read only).
        "updates.update": {"view", "add", "change"},
        "updates.suppression": {"view", "add", "change", "delete"},
        "updates.bounce": {"view"},
    },
}


def policy_permissions(role: str) -> set[str]:
    """The policy's grants of a role as Django permission names ("pledges.view_pledge")."""
    return {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, actions in POLICY[role].items()
        for action in actions
    }


def _in_admin(label: str) -> bool:
    return apps.get_model(label) in admin.site._registry


# (role, model, actions) for every model of the policy that is in the admin.
ADMIN_CASES = [
    pytest.param(role, label, actions, id=f"{role}-{label}")
    for role, grants in POLICY.items()
    for label, actions in grants.items()
    if _in_admin(label)
]
# (role, model) where another role has the model and this one does not.
OTHER_ROLE_CASES = [
    pytest.param(role, label, id=f"{role}-not-{label}")
    for role in POLICY
    for label in sorted({lbl for grants in POLICY.values() for lbl in grants})
    if label not in POLICY[role] and _in_admin(label)
]
ALL_ADMIN_MODELS = sorted({lbl for grants in POLICY.values() for lbl in grants if _in_admin(lbl)})


def test_the_code_grants_exactly_the_policy() -> None:
    assert {
        role: {label: set(actions) for label, actions in grants.items()} for role, grants in ROLES.items()
    } == (POLICY)
    assert [MODERATOR, EDITOR, CAMPAIGN_ADMIN] == ["Moderator", "Editor", "Campaign admin"]


def _admin_url(label: str, view: str) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}")


@pytest.fixture
def role_client(mfa_login):
    def make(role: str) -> Client:
        client = Client()
        user = make_organiser(f"{role.lower().replace(' ', '-')}@example.org", role=role)
        mfa_login(client, user)
        return client

    return make


def test_the_migration_creates_the_three_role_groups() -> None:
    """Run accounts' migrations backwards (the groups go) and forwards again on that empty table."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    Group.objects.all().delete()
    Group.objects.create(name="Something else")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("accounts")
    executor.migrate([("accounts", None)])
    assert list(Group.objects.values_list("name", flat=True)) == ["Something else"]
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert set(Group.objects.values_list("name", flat=True)) == {
        "Moderator",
        "Editor",
        "Campaign admin",
        "Something else",
    }


def test_the_roles_name_only_models_that_exist() -> None:
    for grants in ROLES.values():
        for label in grants:
            apps.get_model(label)  # raises LookupError for a model that does not exist


@pytest.mark.parametrize("role", list(POLICY))
def test_each_role_group_holds_exactly_the_policys_permissions(role: str) -> None:
    group = Group.objects.get(name=role)
    held = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }
    assert held == policy_permissions(role)


@pytest.mark.parametrize("role", list(POLICY))
def test_a_role_member_has_the_policys_permissions_and_no_other(role: str) -> None:
    user = make_organiser("member@example.org", role=role)
    user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
    # Every permission that exists, not only those some role has: a grant of anything else fails too.
    everything = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert {perm for perm in everything if user.has_perm(perm)} == policy_permissions(role)


def test_the_sync_repairs_a_group_whose_permissions_were_changed_by_hand() -> None:
    group = Group.objects.get(name=MODERATOR)
    group.permissions.clear()
    group.permissions.add(Permission.objects.get(codename="delete_pledge"))
    roles_sync()
    held = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }
    assert held == policy_permissions("Moderator")


@pytest.mark.parametrize(("role", "label", "actions"), ADMIN_CASES)
def test_a_role_sees_and_changes_its_part_of_the_admin(role_client, role, label, actions) -> None:
    client = role_client(role)
    # A one-row model's list (the signing settings) forwards to that row's page.
    assert client.get(_admin_url(label, "changelist"), follow=True).status_code == 200
    add_status = client.get(_admin_url(label, "add")).status_code
    # Some admins refuse adding to everyone (the append-only audit log): ask as a superuser would.
    as_superuser = RequestFactory().get("/")
    as_superuser.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    addable = admin.site._registry[apps.get_model(label)].has_add_permission(as_superuser)
    assert add_status == (200 if "add" in actions and addable else 403)
    index = client.get(reverse("admin:index")).content.decode()
    assert _admin_url(label, "changelist") in index


@pytest.mark.parametrize(("role", "label"), OTHER_ROLE_CASES)
def test_another_role_is_refused_that_part_of_the_admin(role_client, role, label) -> None:
    client = role_client(role)
    assert client.get(_admin_url(label, "changelist")).status_code == 403
    assert client.get(_admin_url(label, "add")).status_code == 403
    assert _admin_url(label, "changelist") not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("label", ALL_ADMIN_MODELS)
def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client, label: str) -> None:
    response = client.get(_admin_url(label, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("label", ALL_ADMIN_MODELS)
def test_a_staff_member_without_a_role_sees_nothing(mfa_login, label: str) -> None:
    client = Client()
    mfa_login(client, make_organiser("norole@example.org"))
    assert client.get(_admin_url(label, "changelist")).status_code == 403


def test_grant_role_gives_the_role_and_staff_status_and_is_audited() -> None:
    user = make_user("mo@example.org")
    call_command("grant_role", "mo@example.org", MODERATOR, "--reason", "new volunteer")
    user.refresh_from_db()
    assert user.is_staff and user.groups.filter(name=MODERATOR).exists()
    entry = AuditEntry.objects.get(action="role.grant")
    assert (entry.target_id, entry.details, entry.reason, entry.actor_label) == (
        str(user.pk),
        {"role": MODERATOR},
        "new volunteer",
        "system",
    )
    call_command("grant_role", "mo", MODERATOR, "--revoke")
    assert not user.groups.filter(name=MODERATOR).exists()
    assert AuditEntry.objects.filter(action="role.revoke").count() == 1


def test_grant_role_refuses_an_unknown_user_or_role() -> None:
    with pytest.raises(CommandError):
        call_command("grant_role", "nobody@example.org", MODERATOR)
    make_user("mo@example.org")
    with pytest.raises(CommandError):
        call_command("grant_role", "mo@example.org", "Overlord")


def test_the_admin_action_gives_a_role_and_is_audited(admin_client: Client) -> None:
    user = make_user("ed@example.org")
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "grant_editor", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    assert user.groups.filter(name=EDITOR).exists()
    entry = AuditEntry.objects.get(action="role.grant")
    assert entry.details == {"role": EDITOR} and entry.actor_label == "admin"


def _user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_changing_roles_in_the_user_form_is_audited(role_client) -> None:
    client = role_client(CAMPAIGN_ADMIN)
    user = make_user("ed@example.org", staff=True)
    editor = Group.objects.get(name=EDITOR)
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]), _user_form(user, groups=[editor.pk])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(user.groups.values_list("name", flat=True)) == [EDITOR]
    entry = AuditEntry.objects.get(action="role.grant")
    assert entry.details == {"role": EDITOR, "via": "admin"}
    assert entry.actor_label.startswith("campaign-admin")


def test_a_campaign_admin_cannot_make_anyone_a_superuser(role_client) -> None:
    client = role_client(CAMPAIGN_ADMIN)
    user = make_user("ed@example.org", staff=True)
    client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        _user_form(user, is_superuser="on"),
    )
    user.refresh_from_db()
    assert not user.is_superuser


def test_a_campaign_admin_cannot_edit_a_superuser(role_client, admin_user) -> None:
    client = role_client(CAMPAIGN_ADMIN)
    response = client.post(
        reverse("admin:auth_user_change", args=[admin_user.pk]), _user_form(admin_user, is_active="")
    )
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_a_campaign_admin_can_only_hand_out_roles(role_client) -> None:
    client = role_client(CAMPAIGN_ADMIN)
    Group.objects.create(name="Something else")
    user = make_user("ed@example.org", staff=True)
    html = client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert "Something else" not in html and EDITOR in html
