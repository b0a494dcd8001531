from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TallyConfig(AppConfig):
    name = "tally"
    verbose_name = _("Tally")

    def ready(self) -> None:
        from django.conf import settings
        from django.core.signals import request_started

        from quitgpt import health
        from tally import scheduler
        from tally.selectors import tally_freshness

        health.register("tally", tally_freshness)
        if settings.TALLY_INPROCESS_SCHEDULER and scheduler.is_server_process():
            request_started.connect(scheduler.start_on_first_request, dispatch_uid="tally-scheduler")
