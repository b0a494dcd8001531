from django.apps import AppConfig


class AlternativesConfig(AppConfig):
    name = "alternatives"
