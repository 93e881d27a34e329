"""PostgreSQL full-text search in French, accents ignored.

`copro_french` is created by residents/migrations/0009: the French stemmer after
`unaccent`, so that "ascenseur" finds "Ascenseurs" and "electricite" "Électricité".
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery

CONFIG = "copro_french"


def query(text: str) -> SearchQuery:
    """What a person typed, as a web-search query ("a b" both, "a or b", -not)."""
    return SearchQuery(text, config=CONFIG, search_type="websearch")
