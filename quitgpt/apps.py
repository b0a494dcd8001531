from django.apps import AppConfig


class QuitgptConfig(AppConfig):
    """The config package is also an app, so that its templates tags and checks load."""

    name = "quitgpt"
    verbose_name = "QuitGPT"
