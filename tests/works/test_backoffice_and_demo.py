"""The works back office (scoped to the syndic's residences) and the demo data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications.models import Notification
from residents.models import Role
from works import demo
from works.models import Works, WorksPhoto, WorksStatus, WorksUpdate

from ..factories import make_member, make_user
from .conftest import make_works, post_update

pytestmark = pytest.mark.django_db

CHANGELIST = "backoffice:works_works_changelist"


def _admin_form(works, **overrides):
    data = {
        "title": works.title,
        "description": works.description,
        "status": works.status,
        "progress": works.progress,
        "contractor": works.contractor,
        "budget": "",
        "voted_at_assembly": "",
        "voted_on": "",
        "starts_on": "",
        "ends_on": "",
        "updates-TOTAL_FORMS": "1",
        "updates-INITIAL_FORMS": "1",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
    }
    return {**data, **overrides}


def test_staff_see_only_their_syndics_works(world, as_persona):
    mine = make_works(world, title="Nos travaux")
    post_update(world, mine)
    theirs = make_works(
        world, residence=world.other, by="other_staff", title="Leurs travaux"
    )
    client = as_persona("manager")
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert [w.title for w in response.context["cl"].result_list] == ["Nos travaux"]
    change = reverse("backoffice:works_works_change", args=[theirs.pk])
    response = client.get(change)  # out of scope: "does not exist", back to index
    assert (response.status_code, response["Location"]) == (302, "/backoffice/")
    response = client.get(reverse("backoffice:works_works_change", args=[mine.pk]))
    assert response.status_code == 200
    assert "Échafaudages montés." in response.content.decode()  # inline, read-only


def test_back_office_edit_goes_through_the_service(world, as_persona):
    works = make_works(world)
    post_update(world, works)
    client = as_persona("staff")
    url = reverse("backoffice:works_works_change", args=[works.pk])
    response = client.post(url, _admin_form(works, progress="55", title="Façade"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    works.refresh_from_db()
    assert (works.title, works.progress) == ("Façade", 55)
    assert works.history.first().history_user == world.user("staff")
    assert WorksUpdate.objects.count() == 1  # the inline is read-only
    response = client.post(url, _admin_form(works, progress="150"))
    assert response.status_code == 200
    works.refresh_from_db()
    assert works.progress == 55


def test_other_syndic_cannot_edit_our_works(world, as_persona):
    works = make_works(world)
    client = as_persona("other_staff")
    url = reverse("backoffice:works_works_change", args=[works.pk])
    response = client.post(url, _admin_form(works, title="Piraté"))
    assert (response.status_code, response["Location"]) == (302, "/backoffice/")
    works.refresh_from_db()
    assert works.title == "Ravalement de la façade"


def test_demo_seed_is_idempotent_and_notifies_nobody(
    world, django_capture_on_commit_callbacks
):
    manager = world.user("manager")
    residences = {"les-tilleuls": world.home, "clos-des-vignes": world.other}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        demo.seed(residences)
        demo.seed(residences)
    assert callbacks == []
    assert not Notification.objects.exists()
    assert Works.objects.count() == 2
    works = Works.objects.get(residence=world.home)
    assert works.title == "Ravalement de la façade"
    assert (works.status, works.progress) == (WorksStatus.IN_PROGRESS, 40)
    assert str(works.budget) == "186500.00"
    assert str(works.voted_on) == "2026-06-12"
    updates = list(works.updates.order_by("posted_at"))
    assert len(updates) == 2
    assert all(u.author == manager for u in updates)
    assert not updates[0].photos.exists()
    photo = updates[1].photos.get()
    assert photo.image and photo.thumbnail and photo.caption
    assert WorksPhoto.objects.count() == 2  # one per residence


def test_demo_works_show_on_the_page_with_their_photo(world, client):
    demo.seed({"les-tilleuls": world.home})
    tenant = make_member(world.home, Role.TENANT, user=make_user()).user
    client.force_login(tenant)
    works = Works.objects.get()
    response = client.get(reverse("works:detail", args=[world.home.slug, works.pk]))
    assert response.status_code == 200
    photo = WorksPhoto.objects.get()
    thumb = reverse("works:photo_thumb", args=[world.home.slug, works.pk, photo.pk])
    assert thumb in response.content.decode()
    assert client.get(thumb).status_code == 200


def test_a_deleted_demo_works_is_not_recreated(world):
    demo.seed({"les-tilleuls": world.home})
    Works.objects.get().delete()
    demo.seed({"les-tilleuls": world.home})
    assert not Works.objects.exists()


def test_photos_of_the_demo_are_real_images(world):
    demo.seed({"les-tilleuls": world.home})
    photo = WorksPhoto.objects.get()
    assert photo.width == 960 and photo.height == 640
