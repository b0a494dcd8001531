from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from django.contrib import admin

        from accounts import roles, views

        # Every app's permissions exist once migrate has finished; the handler creates any that are
        # missing, then sets the role groups' permissions.
        post_migrate.connect(roles.sync_after_migrate, sender=self, dispatch_uid="accounts.roles_sync")
        post_migrate.connect(_sync_site, sender=self, dispatch_uid="accounts.site_sync")
        # The admin has no login form of its own: organisers sign in through allauth (password + TOTP).
        admin.site.login = views.admin_login


def _sync_site(sender, using: str = "default", **kwargs) -> None:
    from accounts.services import site_sync

    site_sync(using=using)
