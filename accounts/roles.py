"""Organiser roles: Django groups whose permissions are declared here, in one place.

The groups are created by a migration (accounts/0001_roles); their permissions are (re)applied after
every `migrate` by `roles_sync`, because Django creates permissions only after migrations have run. A
model named here that is not installed yet is skipped (and listed by `roles_missing_models`), so that the
mapping can name models that another app brings later.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

logger = logging.getLogger(__name__)

MODERATOR = "Moderator"
EDITOR = "Editor"
CAMPAIGN_ADMIN = "Campaign admin"

ALL = ("view", "add", "change", "delete")

# role -> "app_label.model" -> actions ("view", "add", "change", "delete").
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # Keeps the pledge data clean: reviews pledges, RSVPs and suggestions.
    MODERATOR: {
        "pledges.pledge": ("view", "change"),
        "pledges.supporter": ("view",),
        "events.rsvp": ("view", "change"),
        "alternatives.suggestion": ("view", "change", "delete"),
        "quitgpt.auditentry": ("view",),
        "campaign.watchalert": ("view",),
        "campaign.removalbatch": ("view",),
    },
    # Curates what the public reads: the directory of alternatives and the events.
    EDITOR: {
        "alternatives.alternative": ALL,
        "events.event": ALL,
        "quitgpt.auditentry": ("view",),
    },
    # Runs the campaign: reported tallies, pledge settings and block lists, organisers' accounts.
    CAMPAIGN_ADMIN: {
        "tally.reportedtally": ALL,
        "pledges.pledgesettings": ("view", "change"),
        "pledges.blockeddomain": ALL,
        "pledges.blockedaddress": ALL,
        "pledges.blockednetwork": ALL,
        "campaign.campaignsettings": ("view", "change"),
        "campaign.partner": ("view", "add", "change"),
        "campaign.watchalert": ("view",),
        "campaign.removalbatch": ("view",),
        "auth.user": ALL,
        "auth.group": ("view",),
        "quitgpt.auditentry": ("view",),
    },
}


def model_is_installed(label: str) -> bool:
    app_label, model_name = label.split(".")
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True


def roles_missing_models() -> set[str]:
    """The models named in ROLES that no installed app provides (yet)."""
    return {label for grants in ROLES.values() for label in grants if not model_is_installed(label)}


def role_permission_codenames(role: str) -> set[str]:
    """The permissions a role should hold, as "app_label.codename", for the installed models only."""
    return {
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label, actions in ROLES[role].items()
        if model_is_installed(label)
        for action in actions
    }


@transaction.atomic
def roles_sync(*, using: str = "default") -> None:
    """Create the role groups if needed and set each one's permissions to exactly what ROLES says."""
    # Permissions are created per app by post_migrate handlers, in INSTALLED_APPS order; make sure those
    # of every app exist before assigning them (create_permissions is idempotent).
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, grants in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        permissions = []
        for label, actions in grants.items():
            if not model_is_installed(label):
                logger.debug("role %s: model %s is not installed, skipped", role, label)
                continue
            model = apps.get_model(label)
            content_type = ContentType.objects.db_manager(using).get_for_model(model)
            codenames = [f"{action}_{model._meta.model_name}" for action in actions]
            found = list(
                Permission.objects.using(using).filter(content_type=content_type, codename__in=codenames)
            )
            if len(found) != len(codenames):
                missing = set(codenames) - {p.codename for p in found}
                raise LookupError(f"role {role}: no permission {sorted(missing)} for {label}")
            permissions.extend(found)
        group.permissions.set(permissions)


def sync_after_migrate(sender, using: str = "default", **kwargs) -> None:
    roles_sync(using=using)
