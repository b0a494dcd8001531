"""Lighthouse (npm `lighthouse`, on Debian's Chromium) scores the main pages: accessibility 100, best
practices 100, SEO at least 95. About 25 s a page on two cores, so only the main pages."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import IN_CI, ROOT, missing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
MAIN_PAGES = ["/", "/fr/alternatives/", "/how-we-count/"]


def _lighthouse(url: str, out) -> dict:
    node, chromium = shutil.which("node"), shutil.which("chromium")
    if not (LIGHTHOUSE.exists() and node and chromium):
        if IN_CI:
            pytest.fail("Lighthouse needs node, Chromium and `npm ci` (scripts/test.sh runs it)")
        missing("Lighthouse", "npm ci")
    subprocess.run(
        [
            node,
            str(LIGHTHOUSE),
            url,
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
            "--only-categories=accessibility,best-practices,seo",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ],
        env={"CHROME_PATH": chromium, "PATH": "/usr/bin:/bin", "HOME": str(out.parent)},
        check=True,
        timeout=180,
    )
    return json.loads(out.read_text())


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_the_main_pages_score_full_marks_in_lighthouse(live_server, tmp_path, path: str) -> None:
    report = _lighthouse(live_server.url + path, tmp_path / "report.json")
    scores = {key: category["score"] for key, category in report["categories"].items()}
    failing = [
        f"{a['id']}: {a['title']}"
        for a in report["audits"].values()
        if a.get("scoreDisplayMode") in {"binary", "numeric"}
        and (a.get("score") or 0) < 1
        and a["id"] in {ref["id"] for c in report["categories"].values() for ref in c["auditRefs"]}
    ]
    assert scores["accessibility"] == 1, failing
    assert scores["best-practices"] == 1, failing
    assert scores["seo"] >= 0.95, failing


def test_the_thank_you_page_with_its_details_form_scores_full_marks_in_lighthouse(
    live_server, tmp_path
) -> None:
    """As its owner sees it after the short form (the form for every detail). A private page, never
    indexed: search-engine scores do not apply."""
    from tests.quitgpt.test_browser_quality import private_thanks_page

    report = _lighthouse(live_server.url + private_thanks_page(), tmp_path / "report.json")
    scores = {key: category["score"] for key, category in report["categories"].items()}
    failing = [
        f"{a['id']}: {a['title']}"
        for a in report["audits"].values()
        if a.get("scoreDisplayMode") in {"binary", "numeric"} and (a.get("score") or 0) < 1
    ]
    assert scores["accessibility"] == 1, failing
    assert scores["best-practices"] == 1, failing
