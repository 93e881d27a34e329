"""The syndic API: a token of the residence's current syndic publishes documents
and events; anything else is refused with a JSON answer and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import api, selectors
from documents.categories import Category
from documents.models import ApiToken, CategoryFollow, Document, Visibility
from life.models import Event, EventKind
from notifications.models import Notification
from residents.access import standing
from residents.models import Residence, SyndicRole

from ..conftest import login
from ..factories import make_employee, make_syndic
from .test_library import files_in, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def token(world) -> str:
    _row, full = api.api_token_create(
        syndic=world.home.syndic, name="Logiciel comptable", by=world.user("manager")
    )
    return full


def _docs_url(residence: Residence) -> str:
    return reverse("documents:api_document_create", args=[residence.slug])


def _events_url(residence: Residence) -> str:
    return reverse("documents:api_event_create", args=[residence.slug])


def _publish(client, residence, token, *, content=None, name="pv.pdf", **fields):
    data = {
        "file": SimpleUploadedFile(name, content or pdf_bytes("Procès-verbal")),
        "title": "PV de l'AG 2026",
        "category": Category.MINUTES,
        "date": "2026-03-14",
        "description": "Assemblée générale ordinaire",
        "tags": "AG, 2026",
        "visibility": Visibility.OWNERS,
        **fields,
    }
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(_docs_url(residence), data, headers=headers)


def _event(client, residence, token, body, content_type="application/json"):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        _events_url(residence),
        payload,
        content_type=content_type,
        headers={"Authorization": f"Bearer {token}"},
    )


NEXT_YEAR = timezone.now().year + 1
EVENT = {
    "kind": EventKind.MAINTENANCE,
    "title": "Entretien de l'ascenseur",
    "starts_at": f"{NEXT_YEAR}-05-12T09:00:00+02:00",
    "ends_at": f"{NEXT_YEAR}-05-12T12:00:00+02:00",
    "place": "Hall B",
    "description": "Coupure pendant l'intervention.",
}


class TestTokens:
    def test_only_a_hash_of_the_secret_is_kept(self, world, token):
        marker, prefix, secret = token.split("_", 2)
        row = ApiToken.objects.get()
        assert marker == "cop"
        assert row.prefix == prefix
        assert secret not in row.secret_hash
        assert len(secret) >= 40
        assert api.api_token_authenticate(token) == row
        assert api.api_token_authenticate(f"cop_{prefix}_{secret}x") is None
        assert api.api_token_authenticate(f"cop_{prefix}") is None

    def test_revoked_tokens_stop_at_once(self, world, token):
        row = ApiToken.objects.get()
        api.api_token_revoke(token=row)
        first = row.revoked_at
        api.api_token_revoke(token=row)
        assert row.revoked_at == first
        assert api.api_token_authenticate(token) is None


class TestPublishDocument:
    def test_good_token_publishes_into_the_library(self, world, client, token):
        response = _publish(client, world.home, token)
        assert response.status_code == 201
        assert response["Content-Type"] == "application/json"
        assert response["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers
        document = Document.objects.get()
        assert response.json() == {
            "id": document.pk,
            "title": "PV de l'AG 2026",
            "url": f"http://testserver{document.get_absolute_url()}",
            "version": 1,
        }
        assert document.residence == world.home
        assert document.category == Category.MINUTES
        assert document.visibility == Visibility.OWNERS
        assert document.tags == ["ag", "2026"]
        assert str(document.date) == "2026-03-14"
        assert document.created_by == world.user("manager")  # the token's creator
        assert document.current_version.kind == "pdf"
        assert ApiToken.objects.get().last_used_at is not None
        # The owner sees it in the library; the tenant does not (owners only).
        owner = standing(world.user("owner"), world.home.slug)
        tenant = standing(world.user("tenant"), world.home.slug)
        assert list(selectors.library(owner)) == [document]
        assert not selectors.library(tenant).exists()
        login(client, world.user("owner"))
        page = client.get(reverse("documents:library", args=[world.home.slug]))
        assert "PV de l&#x27;AG 2026" in page.content.decode()

    def test_defaults_when_only_a_file_is_sent(self, world, client, token):
        response = client.post(
            _docs_url(world.home),
            {"file": SimpleUploadedFile("Budget_2026.pdf", pdf_bytes("b"))},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201
        document = Document.objects.get()
        assert document.title == "Budget 2026"
        assert document.category == Category.OTHER
        assert document.visibility == Visibility.OWNERS  # the cautious default

    def test_followers_are_notified(
        self, world, client, token, django_capture_on_commit_callbacks
    ):
        for persona in ("owner", "manager"):
            CategoryFollow.objects.create(
                user=world.user(persona),
                residence=world.home,
                category=Category.MINUTES,
            )
        with django_capture_on_commit_callbacks(execute=True):
            assert _publish(client, world.home, token).status_code == 201
        notified = set(Notification.objects.values_list("recipient_id", flat=True))
        assert notified == {world.user("owner").pk}  # not the token's creator

    def test_csrf_is_not_asked_and_no_session_is_used(self, world, token):
        client = Client(enforce_csrf_checks=True)
        assert _publish(client, world.home, token).status_code == 201
        # A browser session alone opens nothing.
        login(client, world.user("manager"))
        response = _publish(client, world.home, None)
        assert response.status_code == 401
        assert Document.objects.count() == 1

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "Bearer ",
            "Bearer nonsense",
            "Bearer cop_deadbeef00_wrongsecret",
            "Basic dXNlcjpwYXNz",
            "TOKEN",  # replaced by the real token with its secret altered
        ],
    )
    def test_no_or_bad_token_is_401(self, world, client, token, header, media):
        headers = {}
        if header == "TOKEN":
            headers["Authorization"] = f"Bearer {token[:-2]}xx"
        elif header is not None:
            headers["Authorization"] = header
        response = client.post(
            _docs_url(world.home),
            {"file": SimpleUploadedFile("a.pdf", pdf_bytes("a"))},
            headers=headers,
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="copro"'
        assert set(response.json()["errors"]) == {"__all__"}
        assert not Document.objects.exists()
        assert files_in(media) == []
        assert ApiToken.objects.get().last_used_at is None

    def test_revoked_token_is_401(self, world, client, token):
        api.api_token_revoke(token=ApiToken.objects.get())
        assert _publish(client, world.home, token).status_code == 401
        assert not Document.objects.exists()

    def test_another_syndics_residence_is_404(self, world, client, token):
        response = _publish(client, world.other, token)
        assert response.status_code == 404
        assert "errors" in response.json()
        assert not Document.objects.exists()
        unknown = client.post(
            "/api/v1/residences/nowhere/documents/",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert unknown.status_code == 404

    def test_a_residence_that_changed_syndic_is_out_of_reach(
        self, world, client, token
    ):
        successor = make_syndic("Nouveau syndic")
        Residence.objects.filter(pk=world.home.pk).update(syndic=successor)
        assert _publish(client, world.home, token).status_code == 404
        assert not Document.objects.exists()
        manager = make_employee(successor, SyndicRole.MANAGER)
        _row, theirs = api.api_token_create(syndic=successor, name="ERP", by=manager)
        assert _publish(client, world.home, theirs).status_code == 201

    def test_a_disguised_file_is_refused(self, world, client, token, media):
        response = _publish(
            client,
            world.home,
            token,
            name="facture.pdf",
            content=b"<html><script>alert(1)</script></html>",
        )
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert list(errors) == ["file"]
        assert "facture.pdf" in errors["file"][0]
        assert not Document.objects.exists()
        assert files_in(media) == []

    def test_an_oversized_file_is_refused(self, world, client, token, settings):
        settings.COPRO_DOCUMENT_MAX_BYTES = 1000
        response = _publish(client, world.home, token, content=pdf_bytes("x" * 10))
        assert response.status_code == 400
        assert "file" in response.json()["errors"]
        assert not Document.objects.exists()

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"visibility": Visibility.NAMED}, "visibility"),
            ({"visibility": "public"}, "visibility"),
            ({"category": "secret"}, "category"),
            ({"date": "14/03/2026 ou plus tard"}, "date"),
            ({"title": "T" * 201}, "title"),
            ({"file": ""}, "file"),
        ],
    )
    def test_bad_metadata_is_400(self, world, client, token, fields, field):
        response = _publish(client, world.home, token, **fields)
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert not Document.objects.exists()

    def test_get_is_not_allowed(self, world, client, token):
        response = client.get(
            _docs_url(world.home), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert "errors" in response.json()

    def test_rate_limit_per_token(self, world, client, token, settings):
        settings.COPRO_API_RATE_LIMIT = 2
        _row, other = api.api_token_create(
            syndic=world.home.syndic, name="Autre", by=world.user("manager")
        )
        for _n in range(2):
            assert _event(client, world.home, token, EVENT).status_code == 201
        response = _event(client, world.home, token, EVENT)
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert Event.objects.count() == 2
        assert _event(client, world.home, other, EVENT).status_code == 201


class TestPublishEvent:
    def test_event_created(self, world, client, token):
        response = _event(client, world.home, token, EVENT)
        assert response.status_code == 201
        event = Event.objects.get()
        body = response.json()
        assert body["id"] == event.pk
        assert body["url"].endswith(
            reverse("life:calendar_month", args=[world.home.slug, NEXT_YEAR, 5])
        )
        assert event.residence == world.home
        assert event.title == "Entretien de l'ascenseur"
        assert event.place == "Hall B"
        assert event.starts_at == datetime(NEXT_YEAR, 5, 12, 7, 0, tzinfo=UTC)
        assert event.created_by == world.user("manager")
        assert not event.council_only
        login(client, world.user("tenant"))
        page = client.get(reverse("life:calendar", args=[world.home.slug]))
        assert "Entretien de l&#x27;ascenseur" in page.content.decode()

    def test_council_meetings_are_council_only(self, world, client, token):
        body = {**EVENT, "kind": EventKind.COUNCIL, "title": "Conseil syndical"}
        assert _event(client, world.home, token, body).status_code == 201
        assert Event.objects.get().council_only

    def test_local_times_are_paris_time(self, world, client, token):
        body = {**EVENT, "starts_at": "2026-01-10T09:00", "ends_at": "2026-01-10T10:00"}
        assert _event(client, world.home, token, body).status_code == 201
        assert Event.objects.get().starts_at == datetime(2026, 1, 10, 8, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ("{not json", "__all__"),
            ("[1, 2]", "__all__"),
            (b"\xff\xfe", "__all__"),
            ({**EVENT, "ends_at": f"{NEXT_YEAR}-05-12T08:00:00+02:00"}, "ends_at"),
            ({**EVENT, "starts_at": "demain"}, "starts_at"),
            ({**EVENT, "kind": "party"}, "kind"),
            ({k: v for k, v in EVENT.items() if k != "title"}, "title"),
        ],
    )
    def test_bad_json_is_400(self, world, client, token, body, field):
        response = _event(client, world.home, token, body)
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert not Event.objects.exists()

    def test_json_only(self, world, client, token):
        response = client.post(
            _events_url(world.home),
            EVENT,
            headers={"Authorization": f"Bearer {token}"},
        )  # a form post
        assert response.status_code == 415
        assert not Event.objects.exists()

    def test_other_syndic_and_bad_token(self, world, client, token):
        assert _event(client, world.other, token, EVENT).status_code == 404
        assert _event(client, world.home, "cop_x_y", EVENT).status_code == 401
        assert not Event.objects.exists()
