"""Announcements: who reads and publishes them, who is notified, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from life import services
from life.markdown import render_markdown
from life.models import Announcement, Audience
from notifications.models import Notification

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db


def _publish(world, *, author="manager", **data):
    defaults = {"title": "Coupure d'eau", "body": "Mardi **9h-12h**."}
    return services.announcement_publish(
        residence=world.home, author=world.user(author), **{**defaults, **data}
    )


# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
PUBLISH = [302, 404, 403, 403, 200, 200, 200, 200, 404]
PUBLISH_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]

VIEWS = [
    ("life:announcements", "get", lambda w, a: [w.home.slug], READ),
    ("life:announcement", "get", lambda w, a: [w.home.slug, a.pk], READ),
    ("life:announcement_new", "get", lambda w, a: [w.home.slug], PUBLISH),
    ("life:announcement_new", "post", lambda w, a: [w.home.slug], PUBLISH_POST),
    ("life:announcement_edit", "get", lambda w, a: [w.home.slug, a.pk], PUBLISH),
    ("life:announcement_edit", "post", lambda w, a: [w.home.slug, a.pk], PUBLISH_POST),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    announcement = _publish(world)
    client = as_persona(persona)
    data = {
        "title": "Changed",
        "body": "Texte",
        "audience": Audience.EVERYONE,
        "publish_at": "2026-01-01T10:00",
    }
    response = getattr(client, method)(
        reverse(name, args=args(world, announcement)), data
    )
    assert response.status_code == expected
    if method == "post" and expected != 302:
        announcement.refresh_from_db()
        assert announcement.title == "Coupure d'eau"
        assert Announcement.objects.count() == 1


def test_audience_limits_who_reads(world, as_persona):
    owners = _publish(world, title="AG privée", audience=Audience.OWNERS)
    council = _publish(world, title="Réunion du conseil", audience=Audience.COUNCIL)
    url = reverse("life:announcements", args=[world.home.slug])
    seen = {
        persona: {a.title for a in as_persona(persona).get(url).context["page"]}
        for persona in ("tenant", "owner", "council", "staff")
    }
    assert seen["tenant"] == set()
    assert seen["owner"] == {"AG privée"}
    assert seen["council"] == seen["staff"] == {"AG privée", "Réunion du conseil"}
    detail = reverse("life:announcement", args=[world.home.slug, council.pk])
    assert as_persona("owner").get(detail).status_code == 404
    assert owners.pk


def test_publishing_notifies_the_audience_but_not_the_author(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        _publish(world, audience=Audience.OWNERS, author="president")
    notified = set(Notification.objects.values_list("recipient", flat=True))
    expected = {world.user(p).pk for p in ("owner", "council", "staff", "manager")}
    assert notified == expected
    assert len(mailoutbox) == 4
    title = Notification.objects.filter(recipient=world.user("owner")).get().title
    assert title == f"{world.home.name} : Coupure d'eau"


def test_a_scheduled_announcement_waits_then_notifies_once(
    world, as_persona, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        announcement = _publish(world, publish_at=later)
    assert not Notification.objects.exists()
    url = reverse("life:announcements", args=[world.home.slug])
    assert list(as_persona("owner").get(url).context["page"]) == []

    Announcement.objects.filter(pk=announcement.pk).update(
        publish_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_due_announcements() == 1
        assert services.publish_due_announcements() == 0  # the cron runs again
    assert Notification.objects.filter(recipient=world.user("tenant")).count() == 1


def test_expired_announcements_disappear(world, as_persona):
    _publish(
        world,
        publish_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(days=1),
    )
    url = reverse("life:announcements", args=[world.home.slug])
    assert list(as_persona("owner").get(url).context["page"]) == []


def test_pinned_first_then_newest(world, as_persona):
    now = timezone.now()
    _publish(world, title="old pinned", pinned=True, publish_at=now - timedelta(days=5))
    _publish(world, title="new", publish_at=now - timedelta(hours=1))
    _publish(world, title="older", publish_at=now - timedelta(days=1))
    url = reverse("life:announcements", args=[world.home.slug])
    titles = [a.title for a in as_persona("owner").get(url).context["page"]]
    assert titles == ["old pinned", "new", "older"]


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "**gras** <script>alert(1)</script> [x](javascript:alert(1)) "
        "[site](https://example.org) <img src=x onerror=alert(1)>"
    )
    assert "<strong>gras</strong>" in html
    assert "<script" not in html and "onerror" not in html and "<img" not in html
    assert "javascript:" not in html
    assert 'href="https://example.org"' in html and 'rel="noopener' in html


def test_bad_input_rerenders_and_saves_nothing(world, client):
    login(client, world.user("council"))
    response = client.post(
        reverse("life:announcement_new", args=[world.home.slug]),
        {
            "title": "Travaux",
            "body": "",
            "audience": Audience.EVERYONE,
            "publish_at": "2026-12-10T10:00",
            "expires_at": "2026-12-01T10:00",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "body" in errors and "expires_at" in errors
    assert 'value="Travaux"' in response.content.decode()
    assert not Announcement.objects.exists()


def test_edit_keeps_history(world, client):
    announcement = _publish(world)
    login(client, world.user("staff"))
    client.post(
        reverse("life:announcement_edit", args=[world.home.slug, announcement.pk]),
        {
            "title": "Coupure d'eau (reportée)",
            "body": "Mercredi.",
            "audience": Audience.EVERYONE,
            "publish_at": announcement.publish_at.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    announcement.refresh_from_db()
    assert announcement.title == "Coupure d'eau (reportée)"
    assert announcement.history.count() == 2
    assert announcement.history.first().history_user == world.user("staff")


def test_another_residences_announcement_is_404(world, as_persona):
    foreign = services.announcement_publish(
        residence=world.other, author=world.user("other_staff"), title="x", body="y"
    )
    client = as_persona("manager")
    assert (
        client.get(
            reverse("life:announcement", args=[world.home.slug, foreign.pk])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("life:announcement_edit", args=[world.home.slug, foreign.pk])
        ).status_code
        == 404
    )


def test_list_and_dashboard_query_counts(world, client, django_assert_max_num_queries):
    login(client, world.user("owner"))
    _publish(world)
    url = reverse("life:announcements", args=[world.home.slug])
    # session, user, standing, count, page (with authors), their attachments, badge,
    # switcher, and (first visit only) savepoint + session update + release
    with django_assert_max_num_queries(11):
        client.get(url)
    for n in range(20):
        _publish(world, title=f"n{n}", author="staff" if n % 2 else "manager")
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 10
    dashboard = client.get(reverse("residents:dashboard", args=[world.home.slug]))
    assert len(dashboard.context["announcements"]) == 3
