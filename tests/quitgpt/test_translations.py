"""English and French ship complete: every string in the code has a French translation."""

from __future__ import annotations

import shutil
import subprocess
import sys

import polib
import pytest

from tests.conftest import IN_CI, ROOT


def test_every_translatable_string_has_a_french_translation(tmp_path) -> None:
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("GNU gettext is needed (apt-get install gettext)")
        pytest.skip("GNU gettext is not installed")
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if name.startswith((".venv/", "bench/", "tests/")) or not (ROOT / name).is_file():
            continue
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-obsolete",
            "--ignore=bench",
            "--ignore=tests",
            "--ignore=.venv",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    catalogue = polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy (check and unflag): {fuzzy[:20]}"
