"""Organiser roles: Django groups whose permissions are declared here, in one place.

The groups are created by a migration (accounts/0001_roles); their permissions are (re)applied after
every `migrate` by `roles_sync`, because Django creates permissions only after migrations have run. Every
model named here must exist: a typo or a removed model stops `migrate` with a LookupError.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

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
    # Runs the campaign: reported tallies, the full recount ("change" runs one), pledge settings and block
    # lists, organisers' accounts.
    CAMPAIGN_ADMIN: {
        "tally.reportedtally": ALL,
        "tally.recount": ("view", "change"),
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
        "updates.update": ("view", "add", "change"),
        "updates.suppression": ALL,
        "updates.bounce": ("view",),
    },
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
            model = apps.get_model(label)  # LookupError if ROLES names a model that does not exist
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
