"""Start-up configuration: every variable is read from the environment; bad values stop start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROD = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7#kq2!v9m$w4r8t1y6u3i0o5p-a2s7d9f4g1h8j3k6l0z5x2c7v9b4n1m8q3w6e0r",
    "DJANGO_ALLOWED_HOSTS": "quitgpt.example",
    "SITE_URL": "https://quitgpt.example",
    "LOG_SIGNING_KEY": "q3a0n4h1cB2x9Jt5mW7yZk8rV6uE0sP3dL1fG4hT2oA=",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "SITE_URL"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("EMAIL_PORT", "twenty-five"),
        ("EMAIL_USE_TLS", "sometimes"),
        ("TRUSTED_PROXIES", "-1"),
        ("DATABASE_PREPARE_THRESHOLD", "-1"),
        ("DATABASE_URL", "mysql://nope"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("SITE_URL", "quitgpt.example"),
        ("DJANGO_HTTPS", "2"),
        ("LOG_SIGNING_KEY", "not base64!"),
        ("LOG_SIGNING_KEY", "c2hvcnQ="),
    ],
)
def test_it_refuses_to_start_with_a_bad_value_and_names_it(name: str, value: str) -> None:
    result = run_manage("check", env={name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    env = {**PROD}
    del env["DJANGO_SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_it_refuses_to_start_in_production_without_a_log_signing_key() -> None:
    env = {**PROD}
    del env["LOG_SIGNING_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "LOG_SIGNING_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checklist() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PROD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_defaults_need_no_service(tmp_path) -> None:
    result = run_manage("check", env={})
    assert result.returncode == 0, result.stderr


def test_https_off_allows_a_production_like_run_on_plain_http() -> None:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','quitgpt.settings'); "
        "django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, getattr(s,'SECURE_SSL_REDIRECT',False), s.SESSION_COOKIE_SECURE)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL"))}
    on = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **PROD},
        capture_output=True,
        text=True,
        check=True,
    )
    off = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **PROD, "DJANGO_HTTPS": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert on.stdout.split() == ["False", "True", "True"]
    assert off.stdout.split() == ["False", "False", "False"]
