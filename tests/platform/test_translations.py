"""French is the product's first language: its catalogue stays complete."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.fixture(scope="module")
def french():
    return polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))


def test_every_french_message_is_translated(french):
    assert french.untranslated_entries() == []
    assert french.fuzzy_entries() == []


def test_compiled_catalogue_matches_the_source(french):
    """The committed .mo holds exactly what the .po says (run `make messages`)."""
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.mofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.mo"))
    }
    for entry in french.translated_entries():
        expected = entry.msgstr or entry.msgstr_plural
        assert compiled.get((entry.msgctxt, entry.msgid)) == expected, entry.msgid


def test_django_serves_the_french_catalogue():
    with translation.override("fr"):
        assert translation.gettext("Join a residence") == "Rejoindre une résidence"
        assert (
            translation.ngettext(
                "%(counter)s request waiting.", "%(counter)s requests waiting.", 2
            )
            == "%(counter)s demandes en attente."
        )
