from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"

    def ready(self) -> None:
        from pledges import services
        from pledges.models import Pledge
        from quitgpt import optin

        # Pledge emails lost by the broker or a dead worker are sent by the one sweep (quitgpt.optin).
        optin.register_owner("pledge", model=Pledge, send=lambda pk: services.pledge_send_email(pledge_id=pk))

        from django.db.models.signals import post_delete, post_save

        from pledges.models import BlockedAddress, BlockedDomain, BlockedNetwork, PledgeSettings
        from pledges.rules import rules_changed

        # A cache's invalidation, not a business rule: each process rereads the signing rules.
        for model in (PledgeSettings, BlockedDomain, BlockedAddress, BlockedNetwork):
            post_save.connect(rules_changed, sender=model, dispatch_uid=f"pledges-rules-{model.__name__}")
            post_delete.connect(
                rules_changed, sender=model, dispatch_uid=f"pledges-rules-del-{model.__name__}"
            )
