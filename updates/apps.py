from django.apps import AppConfig


class UpdatesConfig(AppConfig):
    name = "updates"
    verbose_name = "Campaign updates"

    def ready(self) -> None:
        from quitgpt.mail import register_suppression_check
        from updates.services import is_suppressed

        register_suppression_check(is_suppressed)
