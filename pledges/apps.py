from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "pledges"

    def ready(self) -> None:
        from pledges import services
        from pledges.models import Pledge
        from quitgpt import optin

        # Pledge emails lost by the broker or a dead worker are sent by the one sweep (quitgpt.optin).
        optin.register_owner("pledge", model=Pledge, send=lambda pk: services.pledge_send_email(pledge_id=pk))
