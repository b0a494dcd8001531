"""Screenshots of every public page in English and French at 390 and 1280 px, for review.

`make screenshots` runs it after `make setup` (demo data). It serves the site with `manage.py runserver`
on a free loopback port (or uses BASE_URL if set) and writes screenshots/<width>/<lang>-<page>.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess  # nosec B404: starts our own dev server
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {390: 844, 1280: 800}


def public_paths() -> list[str]:
    """The public pages, with one entry and one event page taken from the data when there are some."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quitgpt.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from alternatives.models import Alternative
    from events.models import Event
    from pledges.models import Pledge

    paths = [
        "/",
        "/pledge/",
        "/pledge/check-your-email/",
        "/supporters/",
        "/alternatives/",
        "/alternatives/compare/",
        "/events/",
        "/how-we-count/",
        "/privacy/",
        "/partners/",
        "/alternatives/suggest/",
        "/alternatives/how-to-switch/",
        "/accounts/login/",
    ]
    paths += [a.get_absolute_url() for a in Alternative.objects.published()[:20]]
    paths += [f"/events/{e.slug}/" for e in Event.objects.published()[:3]]
    pledge = Pledge.objects.filter(status="confirmed").first()
    if pledge:
        paths += [f"/pledge/thanks/{pledge.share_code}/", f"/r/{pledge.share_code}"]
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    out = ROOT / "screenshots"
    base = os.environ.get("BASE_URL", "")
    server = None
    if not base:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603  # nosec B603
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT
        )
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310  # nosec B310
                break
            except OSError as exc:
                if getattr(exc, "code", None):
                    break
                time.sleep(0.5)
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            for width, height in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                folder = out / str(width)
                folder.mkdir(parents=True, exist_ok=True)
                for path in public_paths():
                    for lang in ("en", "fr"):
                        url = base + (path if lang == "en" else "/fr" + path)
                        page.goto(url)
                        name = f"{lang}-{path.strip('/').replace('/', '-') or 'home'}.png"
                        page.screenshot(path=str(folder / name), full_page=True)
                        print(folder / name)
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
