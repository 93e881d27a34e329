"""Useful-information pages: reading, editing and the French full-text search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from directory import selectors, services
from directory.models import InfoCategory, InfoPage
from residents.access import standing

from ..conftest import login
from .conftest import make_page, snapshot

pytestmark = pytest.mark.django_db


def _info(world):
    return reverse("directory:info", args=[world.home.slug])


def _search(world, persona, text):
    return selectors.search_info_pages(
        standing(world.user(persona), world.home.slug), text
    )


class TestPages:
    def test_list_is_grouped_by_category_in_their_order(self, world, as_persona):
        make_page(world.home, "FAQ", category=InfoCategory.FAQ)
        make_page(world.home, "Badges", category=InfoCategory.ACCESS_KEYS, order=2)
        make_page(world.home, "Clés", category=InfoCategory.ACCESS_KEYS, order=1)
        make_page(world.home, "Tri sélectif", category=InfoCategory.WASTE)
        make_page(world.other, "Ailleurs", category=InfoCategory.WASTE)
        groups = as_persona("tenant").get(_info(world)).context["groups"]
        assert [(label, [p.title for p in pages]) for label, pages in groups] == [
            ("Waste collection", ["Tri sélectif"]),
            ("Access, keys and badges", ["Clés", "Badges"]),
            ("Frequently asked questions", ["FAQ"]),
        ]

    def test_detail_renders_sanitised_markdown(self, world, as_persona):
        page = make_page(
            world.home,
            "Règlement",
            category=InfoCategory.HOUSE_RULES,
            body="**Pas de bruit** après 22 h.\n\n<script>alert(1)</script>"
            "[lien](javascript:alert(2))",
        )
        html = (
            as_persona("tenant")
            .get(reverse("directory:info_page", args=[world.home.slug, page.slug]))
            .content.decode()
        )
        assert "<strong>Pas de bruit</strong>" in html
        assert "<script>alert" not in html and "javascript:alert" not in html

    def test_create_flow_makes_a_slug_and_records_the_editor(self, world, as_persona):
        client = as_persona("council")
        response = client.post(
            reverse("directory:info_new", args=[world.home.slug]),
            {
                "title": "Clés et badges",
                "category": InfoCategory.ACCESS_KEYS,
                "body": "Deux badges par logement.",
                "order": 0,
            },  # fmt: skip
        )
        page = InfoPage.objects.get()
        assert response.status_code == 302
        assert response.url == page.get_absolute_url()
        assert page.slug == "cles-et-badges"
        assert page.updated_by == world.user("council")
        assert page.history.count() == 1

    def test_edit_keeps_the_address_and_records_the_editor(self, world, as_persona):
        page = make_page(world.home, "Déchets")
        response = as_persona("manager").post(
            reverse("directory:info_edit", args=[world.home.slug, page.slug]),
            {
                "title": "Déchets et encombrants",
                "category": InfoCategory.WASTE,
                "body": "Encombrants : déchetterie.",
                "order": 1,
            },  # fmt: skip
        )
        assert response.status_code == 302
        page.refresh_from_db()
        assert (page.title, page.slug) == ("Déchets et encombrants", "dechets")
        assert page.updated_by == world.user("manager")

    def test_duplicate_title_rerenders_with_the_typed_values(self, world, as_persona):
        make_page(world.home, "Collecte des poubelles")
        make_page(world.other, "Foire aux questions")  # another residence: allowed
        before = snapshot()
        response = as_persona("president").post(
            reverse("directory:info_new", args=[world.home.slug]),
            {
                "title": "COLLECTE des poubelles",
                "category": InfoCategory.WASTE,
                "body": "Texte tapé",
                "order": 0,
            },  # fmt: skip
        )
        assert response.status_code == 200
        assert "A page with this title already exists." in response.content.decode()
        assert 'value="COLLECTE des poubelles"' in response.content.decode()
        assert "Texte tapé" in response.content.decode()
        assert snapshot() == before
        make_page(world.home, "Foire aux questions")

    def test_missing_fields_rerender_and_save_nothing(self, world, as_persona):
        response = as_persona("council").post(
            reverse("directory:info_new", args=[world.home.slug]),
            {"title": "Sans texte", "category": "nope", "body": ""},
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert {"category", "body"} <= set(errors)
        assert 'value="Sans texte"' in response.content.decode()
        assert not InfoPage.objects.exists()

    def test_slugs_stay_unique_and_avoid_the_new_page_address(self, world):
        assert make_page(world.home, "New").slug == "new-2"
        assert make_page(world.home, "Clés!").slug == "cles"
        assert make_page(world.home, "Clés ?").slug == "cles-2"
        assert make_page(world.home, "???").slug == "page"

    def test_delete_with_confirmation(self, world, as_persona):
        page = make_page(world.home)
        client = as_persona("staff")
        url = reverse("directory:info_delete", args=[world.home.slug, page.slug])
        assert client.get(url).status_code == 200
        assert InfoPage.objects.exists()
        response = client.post(url)
        assert response.url == _info(world)
        assert not InfoPage.objects.exists()


FAQ = (
    "### Où sortir les poubelles ?\nDans le local prévu, bâtiment A.\n\n"
    "### Qui contacter pour un badge ?\nLe syndic, par écrit."
)


class TestSearch:
    @pytest.fixture(autouse=True)
    def pages(self, world):
        make_page(world.home, "Collecte des poubelles", body="Le lundi et le jeudi.")
        make_page(world.home, "Questions fréquentes", category="faq", body=FAQ)
        make_page(
            world.home,
            "Clés et badges",
            category=InfoCategory.ACCESS_KEYS,
            body="Deux badges d'accès par logement.",
        )
        make_page(world.other, "Poubelles d'ailleurs", body="Les poubelles.")

    def test_a_word_prefix_finds_the_whole_word(self, world):
        for text in ("poubel", "poub", "POUBELLE", "poubelles"):
            titles = [hit.page.title for hit in _search(world, "tenant", text)]
            assert titles == ["Collecte des poubelles", "Questions fréquentes"], text

    def test_title_matches_rank_above_body_matches(self, world):
        titles = [hit.page.title for hit in _search(world, "tenant", "badges")]
        assert titles == ["Clés et badges", "Questions fréquentes"]

    def test_all_words_must_match_and_websearch_syntax_is_safe(self, world):
        titles = [h.page.title for h in _search(world, "tenant", "badge syndic")]
        assert titles == ["Questions fréquentes"]
        for text in ("'", "& | ! :* ( <", '"poubelles', "-", "a:*b"):
            _search(world, "tenant", text)  # no syntax error reaches the user

    def test_typos_fall_back_to_trigram_similarity(self, world):
        titles = [hit.page.title for hit in _search(world, "tenant", "pubelles")]
        assert titles[0] == "Collecte des poubelles"
        assert "Clés et badges" not in titles

    def test_results_are_highlighted_and_escaped(self, world, as_persona):
        make_page(
            world.home,
            "Piège",
            category=InfoCategory.OTHER,
            body="Parking <img src=x onerror=alert(1)> **visiteurs** au fond.",
        )
        response = as_persona("owner").get(_info(world), {"q": "visiteurs"})
        [hit] = response.context["results"]
        assert "<mark>visiteurs</mark>" in hit.snippet
        html = response.content.decode()
        assert "<img src=x" not in html and "&lt;img src=x" in html
        assert "<mark>visiteurs</mark>" in html

    def test_no_result_message_and_other_residences_stay_hidden(
        self, world, as_persona
    ):
        response = as_persona("tenant").get(_info(world), {"q": "ailleurs"})
        assert response.context["results"] == []
        assert "Nothing matches." in response.content.decode()

    def test_the_search_uses_the_gin_index(self, world):
        # On a few rows the planner rightly prefers the residence index; without it
        # (and without sequential scans) it shows whether the expression index fits
        # the search's expression exactly.
        query = InfoPage.objects.annotate(search=selectors.info_search_vector()).filter(
            search=selectors._prefix_query("poubel")
        )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = query.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "infopage_search" in plan, plan


@pytest.mark.parametrize("q", ["", "poubelles"])
def test_info_query_count_is_constant(world, client, django_assert_max_num_queries, q):
    login(client, world.user("owner"))
    url = _info(world)
    client.get(url)  # the first visit also writes the session
    make_page(world.home, "Poubelles 0", body="Les poubelles.")
    # session, user, standing, pages (or search hits), badge, switcher
    with django_assert_max_num_queries(6):
        response = client.get(url, {"q": q})
    for n in range(1, 25):
        make_page(world.home, f"Poubelles {n}", body="Les poubelles.", order=n)
    with django_assert_max_num_queries(6):
        response = client.get(url, {"q": q})
    if q:
        assert len(response.context["results"]) == 25
    else:
        assert len(response.context["groups"][0][1]) == 25


def test_detail_query_count(world, client, django_assert_max_num_queries):
    login(client, world.user("owner"))
    page = services.info_page_save(
        residence=world.home,
        by=world.user("council"),
        title="FAQ",
        category=InfoCategory.FAQ,
        body=FAQ,
    )
    url = reverse("directory:info_page", args=[world.home.slug, page.slug])
    client.get(url)
    # session, user, standing, page with its editor, badge, switcher
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.context["page"] == page
