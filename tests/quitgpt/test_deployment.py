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
    assert set(services) >= {"proxy", "web", "worker", "beat", "db", "redis", "mail"}
    for name in services:
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "celery -A quitgpt worker" in services["worker"]["command"]
    assert "celery -A quitgpt beat" in services["beat"]["command"]
    assert "gunicorn" in services["web"]["command"]
    assert {"pgdata", "redisdata"} <= set(config["volumes"])


def resolved_compose_config(**env: str) -> dict:
    """The stack as docker-compose resolves it (defaults filled in). No engine is needed: the config is
    checked, not a running stack."""
    if not shutil.which("docker-compose"):
        if IN_CI:
            pytest.fail("docker-compose is needed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    environ = {k: v for k, v in os.environ.items() if k not in {"TRUSTED_PROXIES", "SITE_ADDRESS"}}
    result = subprocess.run(
        ["docker-compose", "config"],
        cwd=ROOT,
        env={**environ, "DJANGO_SECRET_KEY": "test-only", "LOG_SIGNING_KEY": "test-only", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def published_ports(service: dict) -> list[tuple[str, str]]:
    """(host address, host port) of each port a service publishes; "" as the address means every
    interface (0.0.0.0 and ::)."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found.append((port.get("host_ip", ""), str(port.get("published", ""))))
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) == 3:
            found.append((parts[0], parts[1]))
        elif len(parts) == 2:
            found.append(("", parts[0]))
        else:  # a bare container port: Docker picks a host port on every interface
            found.append(("", ""))
    return found


def test_only_the_proxy_listens_on_public_interfaces() -> None:
    services = resolved_compose_config()["services"]
    assert {port for _host, port in published_ports(services["proxy"])} == {"80", "443"}
    assert published_ports(services["web"]) == [], "gunicorn must be reachable only through the proxy"
    for name, service in services.items():
        if name == "proxy":
            continue
        for host, port in published_ports(service):
            assert host in {"127.0.0.1", "::1"}, (
                f"{name} publishes port {port} on {host or 'every interface'}"
            )
    # The mail catcher shows every confirm and manage link: on the host's loopback only.
    assert published_ports(services["mail"]) == [("127.0.0.1", "8025")]


def test_the_proxy_writes_the_forwarded_headers_that_the_app_trusts_for_one_hop() -> None:
    services = resolved_compose_config()["services"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == "1"
    mounts = [str(volume) for volume in services["proxy"]["volumes"]]
    assert any(mount.endswith("deploy/Caddyfile:/etc/caddy/Caddyfile:ro") for mount in mounts), mounts
    caddyfile = [
        line.split("#")[0].strip() for line in (ROOT / "deploy" / "Caddyfile").read_text().splitlines()
    ]
    assert "reverse_proxy web:8000 {" in caddyfile
    # Replaced with the address the proxy saw (header_up replaces): what a client sends is dropped, so the
    # one trusted hop is this one.
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
    assert "header_up X-Forwarded-Proto {scheme}" in caddyfile
    assert "8000" in [str(port) for port in services["web"].get("expose", [])]


def test_the_worker_gets_less_cpu_than_the_web_when_they_share_a_machine() -> None:
    # Containers are cgroups, across which nice does not weigh: the CPU weight must.
    services = resolved_compose_config()["services"]
    default_weight = 1024
    assert int(services["worker"].get("cpu_shares", default_weight)) < default_weight
    assert int(services["web"].get("cpu_shares", default_weight)) == default_weight


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
    # Only the dependencies are installed: a packaged copy of the project would be dead weight that
    # PYTHONPATH hides (and a trap when it differs from /app).
    assert "pip install ." not in dockerfile and "pip install -r /tmp/requirements.txt" in dockerfile
