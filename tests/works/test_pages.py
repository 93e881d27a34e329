"""Works pages: who reads and who manages them, forms, ordering and query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from works import selectors
from works.models import Works, WorksFollow, WorksStatus, WorksUpdate

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .conftest import in_english, jpeg_with_gps, make_works, post_update

pytestmark = pytest.mark.django_db

# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
MANAGE = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
FOLLOW_POST = [302, 404, 302, 302, 302, 302, 302, 302, 404]
FOLLOW_GET = [302, 404, 405, 405, 405, 405, 405, 405, 404]


def _photo_args(w, works):
    photo = works.updates.get().photos.get()
    return [w.home.slug, works.pk, photo.pk]


VIEWS = [
    ("works:list", "get", lambda w, x: [w.home.slug], READ),
    ("works:detail", "get", lambda w, x: [w.home.slug, x.pk], READ),
    ("works:photo", "get", _photo_args, READ),
    ("works:photo_thumb", "get", _photo_args, READ),
    ("works:new", "get", lambda w, x: [w.home.slug], MANAGE),
    ("works:new", "post", lambda w, x: [w.home.slug], MANAGE_POST),
    ("works:edit", "get", lambda w, x: [w.home.slug, x.pk], MANAGE),
    ("works:edit", "post", lambda w, x: [w.home.slug, x.pk], MANAGE_POST),
    ("works:update_new", "get", lambda w, x: [w.home.slug, x.pk], MANAGE),
    ("works:update_new", "post", lambda w, x: [w.home.slug, x.pk], MANAGE_POST),
    ("works:follow", "post", lambda w, x: [w.home.slug, x.pk], FOLLOW_POST),
    ("works:follow", "get", lambda w, x: [w.home.slug, x.pk], FOLLOW_GET),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    works = make_works(world)
    post_update(world, works, photos=[("a.jpg", jpeg_with_gps())])
    client = as_persona(persona)
    data = {
        "title": "Changed",
        "status": WorksStatus.DONE,
        "progress": 100,
        "text": "Fini",
        "action": "unfollow",
    }
    response = getattr(client, method)(reverse(name, args=args(world, works)), data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        works.refresh_from_db()
        assert (works.title, works.progress, works.status) == (
            "Ravalement de la façade",
            10,
            WorksStatus.IN_PROGRESS,
        )
        assert Works.objects.count() == 1
        assert WorksUpdate.objects.count() == 1
        assert not WorksFollow.objects.exists()


def _form(**overrides):
    data = {
        "title": "Réfection de la toiture",
        "description": "Remplacement des **tuiles**.",
        "status": WorksStatus.VOTED,
        "progress": "0",
        "contractor": "Toitures Martin",
        "budget": "186500.00",
        "voted_at_assembly": "AG ordinaire, résolution 12",
        "voted_on": "2026-06-12",
        "starts_on": "2027-03-01",
        "ends_on": "2027-05-31",
    }
    return {**data, **overrides}


def test_council_creates_works_with_exact_budget(world, client):
    login(client, world.user("council"))
    response = client.post(reverse("works:new", args=[world.home.slug]), _form())
    works = Works.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("works:detail", args=[world.home.slug, works.pk])
    assert works.budget == Decimal("186500.00")
    assert works.residence == world.home
    assert works.created_by == world.user("council")
    assert str(works.voted_on) == "2026-06-12"
    assert works.history.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"progress": "150"}, "progress"),
        ({"budget": "-5"}, "budget"),
        ({"budget": "douze"}, "budget"),
        ({"ends_on": "2027-01-01"}, "ends_on"),
        ({"status": "finished"}, "status"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_rerenders_with_typed_values_and_saves_nothing(
    world, client, overrides, field
):
    login(client, in_english(world.user("manager")))
    response = client.post(
        reverse("works:new", args=[world.home.slug]), _form(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert 'value="Toitures Martin"' in html
    assert "Remplacement des **tuiles**." in html
    assert not Works.objects.exists()


def test_edit_changes_the_record_and_keeps_history(world, client):
    works = make_works(world)
    login(client, world.user("staff"))
    response = client.post(
        reverse("works:edit", args=[world.home.slug, works.pk]),
        _form(title="Ravalement (phase 2)", status=WorksStatus.SUSPENDED),
    )
    assert response.status_code == 302
    works.refresh_from_db()
    assert works.title == "Ravalement (phase 2)"
    assert works.status == WorksStatus.SUSPENDED
    assert works.created_by == world.user("manager")  # unchanged by an edit
    assert works.history.count() == 2
    assert works.history.first().history_user == world.user("staff")


def test_another_residences_works_are_404(world, as_persona):
    foreign = make_works(world, residence=world.other, by="other_staff")
    client = as_persona("manager")
    for name in ("works:detail", "works:edit", "works:update_new"):
        url = reverse(name, args=[world.home.slug, foreign.pk])
        assert client.get(url).status_code == 404
    follow = reverse("works:follow", args=[world.home.slug, foreign.pk])
    assert client.post(follow, {"action": "unfollow"}).status_code == 404
    assert not WorksFollow.objects.exists()
    edit = reverse("works:edit", args=[world.home.slug, foreign.pk])
    assert client.post(edit, _form()).status_code == 404
    foreign.refresh_from_db()
    assert foreign.title == "Ravalement de la façade"


def test_list_shows_works_under_way_first_then_closed_ones(world, as_persona):
    make_works(world, title="Ascenseur", status=WorksStatus.DONE, progress=100)
    make_works(world, title="Toiture", status=WorksStatus.PLANNED, progress=0)
    make_works(world, title="Interphone", status=WorksStatus.CANCELLED, progress=0)
    make_works(world, title="Façade", status=WorksStatus.IN_PROGRESS, progress=40)
    in_english(world.user("tenant"))
    response = as_persona("tenant").get(reverse("works:list", args=[world.home.slug]))
    titles = [w.title for w in response.context["page"]]
    assert titles == ["Façade", "Toiture", "Interphone", "Ascenseur"]
    html = response.content.decode()
    assert '<progress max="100" value="40"' in html
    assert "40% done" in html
    assert reverse("works:new", args=[world.home.slug]) not in html  # tenant


def test_detail_shows_facts_timeline_and_sanitised_markdown(world, as_persona):
    works = make_works(
        world,
        description="**Important** <script>alert(1)</script>",
        budget=Decimal("186500.00"),
    )
    post_update(world, works, text="Premier point", progress=20)
    post_update(
        world,
        works,
        text="Second point",
        progress=40,
        photos=[("facade.jpg", jpeg_with_gps())],
        caption="Échafaudages côté rue",
    )
    in_english(world.user("owner"))
    response = as_persona("owner").get(
        reverse("works:detail", args=[world.home.slug, works.pk])
    )
    html = response.content.decode()
    assert "<strong>Important</strong>" in html and "<script>alert" not in html
    assert "186,500.00 €" in html
    assert html.index("Second point") < html.index("Premier point")  # newest first
    photo = works.updates.first().photos.get()
    thumb = reverse("works:photo_thumb", args=[world.home.slug, works.pk, photo.pk])
    full = reverse("works:photo", args=[world.home.slug, works.pk, photo.pk])
    assert f'<a href="{full}"><img src="{thumb}"' in html
    assert 'alt="Échafaudages côté rue"' in html
    assert "Stop following" in html
    assert reverse("works:update_new", args=[world.home.slug, works.pk]) not in html


def test_list_query_count_is_constant(world, client, django_assert_max_num_queries):
    login(client, world.user("owner"))
    works = make_works(world)
    post_update(world, works)
    url = reverse("works:list", args=[world.home.slug])
    client.get(url)  # first visit: the session remembers the residence
    # session, user, standing, count, page (with latest update), badge, switcher
    with django_assert_max_num_queries(7):
        client.get(url)
    for n in range(24):
        post_update(world, make_works(world, title=f"Chantier {n}"))
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 10


def test_detail_query_count_is_constant(world, client, django_assert_max_num_queries):
    login(client, world.user("owner"))
    works = make_works(world)
    post_update(world, works, photos=[("a.jpg", jpeg_with_gps())])
    url = reverse("works:detail", args=[world.home.slug, works.pk])
    client.get(url)
    # session, user, standing, works, updates count, updates (with authors),
    # photos, follow state, badge, switcher
    with django_assert_max_num_queries(10):
        client.get(url)
    for n in range(22):
        post_update(
            world,
            works,
            text=f"Point {n}",
            author="staff" if n % 2 else "council",
            photos=[("a.jpg", jpeg_with_gps()), ("b.jpg", jpeg_with_gps())],
        )
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 20


def test_dashboard_works_lists_three_in_progress_with_latest_update(
    world, django_assert_num_queries
):
    from residents.access import standing

    for n in range(5):
        post_update(world, make_works(world, title=f"En cours {n}"))
    make_works(world, title="Prévu", status=WorksStatus.PLANNED)
    make_works(world, title="Fini", status=WorksStatus.DONE, progress=100)
    make_works(world, residence=world.other, by="other_staff", title="Ailleurs")
    found = standing(world.user("tenant"), world.home.slug)
    with django_assert_num_queries(1):
        works = selectors.dashboard_works(found)
    assert [w.title for w in works] == ["En cours 4", "En cours 3", "En cours 2"]
    assert all(w.last_update_at for w in works)
