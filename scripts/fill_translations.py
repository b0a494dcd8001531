"""Fill French translations from a JSON file {msgid: msgstr} into locale/fr/LC_MESSAGES/django.po.

Usage: python scripts/fill_translations.py translations.json
Keeps existing translations; clears the fuzzy flag of the entries it fills. A developer's aid only.
"""

import json
import sys

import polib

po = polib.pofile("locale/fr/LC_MESSAGES/django.po")
with open(sys.argv[1], encoding="utf-8") as handle:
    table = json.load(handle)
filled = 0
for entry in po:
    if entry.msgid in table:
        value = table[entry.msgid]
        if entry.msgid_plural:
            entry.msgstr_plural = (
                {0: value[0], 1: value[1]} if isinstance(value, list) else {0: value, 1: value}
            )
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        filled += 1
po.metadata["Language"] = "fr"
po.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
po.save()
missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
print(f"filled {filled}; still untranslated or fuzzy: {len(missing)}")
for m in missing:
    print("  ", json.dumps(m, ensure_ascii=False))
