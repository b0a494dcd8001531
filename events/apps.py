from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self) -> None:
        from events import services
        from events.models import Rsvp
        from quitgpt import optin

        # RSVP emails lost by the broker or a dead worker are sent by the one sweep (quitgpt.optin).
        optin.register_owner("rsvp", model=Rsvp, send=lambda pk: services.rsvp_send_owed_email(rsvp_id=pk))
