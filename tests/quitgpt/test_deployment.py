"""The production stack's files are valid and complete."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import IN_CI, ROOT


def test_the_compose_file_is_valid_and_declares_the_whole_stack() -> None:
    if not shutil.which("docker-compose"):
        if IN_CI:
            pytest.fail("docker-compose is needed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    env = {**os.environ, "DJANGO_SECRET_KEY": "test-only", "LOG_SIGNING_KEY": "test-only"}
    result = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = config["services"]
    assert set(services) >= {"web", "worker", "beat", "db", "redis", "mail"}
    for name in services:
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "celery -A quitgpt worker" in services["worker"]["command"]
    assert "celery -A quitgpt beat" in services["beat"]["command"]
    assert "gunicorn" in services["web"]["command"]
    assert {"pgdata", "redisdata"} <= set(config["volumes"])


def test_the_compose_file_refuses_to_start_without_a_secret_key() -> None:
    if not shutil.which("docker-compose"):
        if IN_CI:
            pytest.fail("docker-compose is needed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["LOG_SIGNING_KEY"] = "test-only"
    result = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_compose_file_refuses_to_start_without_a_log_signing_key() -> None:
    if not shutil.which("docker-compose"):
        if IN_CI:
            pytest.fail("docker-compose is needed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    env = {k: v for k, v in os.environ.items() if k != "LOG_SIGNING_KEY"}
    env["DJANGO_SECRET_KEY"] = "test-only"
    result = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "LOG_SIGNING_KEY" in result.stderr


def test_the_production_image_serves_with_gunicorn_and_hashed_static_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile
    assert 'CMD ["gunicorn"' in dockerfile
    from django.conf import settings

    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


def test_collectstatic_produces_compressed_hashed_files_for_whitenoise(settings, tmp_path) -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = staticfiles_storage.stored_name("css/site.css")
    assert hashed != "css/site.css" and hashed.startswith("css/site.") and hashed.endswith(".css")
    assert (tmp_path / hashed).is_file()
    assert (tmp_path / f"{hashed}.gz").is_file()
    assert (tmp_path / f"{hashed}.br").is_file()


def test_the_image_runs_the_code_from_its_work_tree_not_a_packaged_copy() -> None:
    # Templates, static files and translations live beside the packages in /app, not in site-packages.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ENV PYTHONPATH=/app" in dockerfile
    assert "WORKDIR /app" in dockerfile
