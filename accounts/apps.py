from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from django.apps import apps
        from django.contrib import admin

        from accounts import roles, views

        # post_migrate is sent once per app *that has models*, after every migration has run; this app
        # has none, so the handlers listen for the config package's (quitgpt: the audit log), which is
        # always installed. The role handler creates any missing permissions, then sets the groups'.
        sender = apps.get_app_config("quitgpt")
        post_migrate.connect(roles.sync_after_migrate, sender=sender, dispatch_uid="accounts.roles_sync")
        post_migrate.connect(_sync_site, sender=sender, dispatch_uid="accounts.site_sync")
        # The admin has no login form of its own: organisers sign in through allauth (password + TOTP).
        admin.site.login = views.admin_login


def _sync_site(sender, using: str = "default", **kwargs) -> None:
    from accounts.services import site_sync

    site_sync(using=using)
