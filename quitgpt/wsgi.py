"""The WSGI entry point (gunicorn quitgpt.wsgi:application): Django's handler, with the pledge POST of a
visitor without cookies on a shorter middleware chain (quitgpt.shortchain)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quitgpt.settings")
django.setup(set_prefix=False)  # what django.core.wsgi.get_wsgi_application does

from quitgpt.shortchain import Application  # noqa: E402 - needs the apps loaded

application = Application()
