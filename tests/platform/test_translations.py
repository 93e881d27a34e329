"""French is the product's first language: its catalogue stays complete."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"

# Python %-format placeholders: %(name)s, %(n)d, %s... but not a literal %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module")
def french():
    return polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))


def test_every_french_message_is_translated(french):
    assert [e.msgid for e in french.untranslated_entries()] == []
    assert [e.msgid for e in french.fuzzy_entries()] == []
    assert not french.metadata_is_fuzzy, "the header is marked fuzzy"


def test_french_keeps_the_placeholders(french):
    """A dropped or misspelt %(name)s would crash, or show, at run time."""
    for entry in french.translated_entries():
        if entry.msgid_plural:
            assert placeholders(entry.msgstr_plural[1]) == placeholders(
                entry.msgid_plural
            ), entry.msgid
            for form in entry.msgstr_plural.values():
                # A form may leave the count out (French form 0 reads like the
                # singular), never add a name the English does not have.
                known = set(
                    placeholders(entry.msgid) + placeholders(entry.msgid_plural)
                )
                assert set(placeholders(form)) <= known, entry.msgid
        else:
            assert placeholders(entry.msgstr) == placeholders(entry.msgid), entry.msgid


def test_compiled_catalogue_matches_the_source(french):
    """The committed .mo holds exactly what the .po says (run `make messages`)."""
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.mofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.mo"))
    }
    for entry in french.translated_entries():
        expected = entry.msgstr or entry.msgstr_plural
        assert compiled.get((entry.msgctxt, entry.msgid)) == expected, entry.msgid


def test_django_serves_every_french_message(french):
    """What Django actually answers: the .mo is loaded and wins over other apps'."""
    with translation.override("fr"):
        for entry in french.translated_entries():
            if entry.msgid_plural:
                for n, form in ((1, 0), (2, 1)):
                    got = (
                        translation.npgettext(
                            entry.msgctxt, entry.msgid, entry.msgid_plural, n
                        )
                        if entry.msgctxt
                        else translation.ngettext(entry.msgid, entry.msgid_plural, n)
                    )
                    assert got == entry.msgstr_plural[form], entry.msgid
            else:
                got = (
                    translation.pgettext(entry.msgctxt, entry.msgid)
                    if entry.msgctxt
                    else translation.gettext(entry.msgid)
                )
                assert got == entry.msgstr, entry.msgid


def test_english_is_the_source():
    with translation.override("en"):
        assert translation.gettext("Join a residence") == "Join a residence"
        assert (
            translation.ngettext(
                "%(counter)s request waiting.", "%(counter)s requests waiting.", 2
            )
            == "%(counter)s requests waiting."
        )


def test_django_serves_the_french_catalogue():
    with translation.override("fr"):
        assert translation.gettext("Join a residence") == "Rejoindre une résidence"
        assert (
            translation.ngettext(
                "%(counter)s request waiting.", "%(counter)s requests waiting.", 2
            )
            == "%(counter)s demandes en attente."
        )
