"""Share links: created by the council and the syndic, opened by anyone holding the
address until it expires, is revoked or is used up; every use logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import services, sharing
from documents.models import Document, ShareAccess, ShareLink, Visibility
from residents.access import standing
from residents.models import Membership, Role

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .test_library import add, pdf_bytes

pytestmark = pytest.mark.django_db

Outcome = ShareAccess.Outcome


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _english(english, client):
    """Pages in English, whatever the catalogue says (members and visitors)."""
    client.cookies["django_language"] = "en"


def make_link(world, *documents, by="council", **kw) -> ShareLink:
    options = {
        "label": "Maître Durand, notaire",
        "expires_on": timezone.localdate() + timedelta(days=10),
    }
    options.update(kw)
    return sharing.share_link_create(
        residence=world.home,
        by=world.user(by),
        documents=list(documents) or [add(world, visibility=Visibility.EVERYONE)],
        **options,
    )


def public(link) -> str:
    return reverse("documents:share_public", args=[link.token])


def download(link, document) -> str:
    return reverse("documents:share_public_download", args=[link.token, document.pk])


def visitor(address="198.51.100.7") -> Client:
    """Someone outside the residence, with no account."""
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT="Notaire/1.0 " + "x" * 400)
    client.cookies["django_language"] = "en"
    return client


# anonymous outsider tenant owner council president staff manager other_staff
MANAGE = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
PUBLIC = [200] * 9


def _slug(w, link, doc):
    return [w.home.slug]


def _link(w, link, doc):
    return [w.home.slug, link.pk]


VIEWS = [
    ("documents:share_list", "get", _slug, MANAGE),
    ("documents:share_create", "get", _slug, MANAGE),
    ("documents:share_create", "post", _slug, MANAGE_POST),
    ("documents:share_detail", "get", _link, MANAGE),
    ("documents:share_revoke", "post", _link, MANAGE_POST),
    ("documents:share_public", "get", lambda w, link, doc: [link.token], PUBLIC),
    (
        "documents:share_public_download",
        "get",
        lambda w, link, doc: [link.token, doc.pk],
        PUBLIC,
    ),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    document = add(world, visibility=Visibility.EVERYONE)
    link = make_link(world, document)
    client = as_persona(persona)
    data = {
        "documents": [document.pk],
        "label": "Banque Populaire",
        "expires_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
    }
    url = reverse(name, args=args(world, link, document))
    response = getattr(client, method)(url, data if method == "post" else None)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert ShareLink.objects.count() == 1
        link.refresh_from_db()
        assert link.revoked_at is None
        assert link.label == "Maître Durand, notaire"


class TestCreating:
    def _post(self, client, world, persona="council", **data):
        login(client, world.user(persona))
        return client.post(
            reverse("documents:share_create", args=[world.home.slug]), data
        )

    def test_a_link_for_several_documents_with_a_password_and_a_limit(
        self, world, client
    ):
        first = add(world, title="Règlement", visibility=Visibility.EVERYONE)
        second = add(world, title="PV 2025", visibility=Visibility.OWNERS)
        day = timezone.localdate() + timedelta(days=90)
        response = self._post(
            client,
            world,
            documents=[first.pk, second.pk],
            label="Maître Durand, vente du lot 3",
            expires_on=day.isoformat(),
            password="s3cret-notaire",
            max_downloads="4",
        )
        link = ShareLink.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse(
            "documents:share_detail", args=[world.home.slug, link.pk]
        )
        assert set(link.documents.all()) == {first, second}
        assert link.created_by == world.user("council")
        assert link.max_downloads == 4
        assert len(link.token) >= 43
        assert "s3cret" not in link.password_hash
        assert check_password("s3cret-notaire", link.password_hash)
        # Valid through the whole chosen day, local time.
        assert timezone.localtime(link.expires_at).date() == day
        assert timezone.localtime(link.expires_at + timedelta(seconds=1)).date() == (
            day + timedelta(days=1)
        )
        page = client.get(response["Location"]).content.decode()
        assert f"/s/{link.token}/" in page
        assert link.history.count() == 1

    @pytest.mark.parametrize("days", [91, -1])
    def test_the_expiry_is_required_and_within_90_days(self, world, client, days):
        document = add(world, visibility=Visibility.EVERYONE)
        day = timezone.localdate() + timedelta(days=days)
        response = self._post(
            client,
            world,
            documents=[document.pk],
            label="Banque",
            expires_on=day.isoformat(),
            max_downloads="3",
        )
        assert response.status_code == 200
        assert "expires_on" in response.context["form"].errors
        html = response.content.decode()
        assert 'value="Banque"' in html and 'value="3"' in html
        assert day.isoformat() in html
        assert not ShareLink.objects.exists()
        response = self._post(client, world, documents=[document.pk], label="Banque")
        assert "expires_on" in response.context["form"].errors
        assert not ShareLink.objects.exists()

    def test_only_documents_the_creator_may_see_can_be_shared(self, world, client):
        # The council does not see a co-owner's own account statement.
        statement = add(
            world,
            title="Relevé",
            visibility=Visibility.NAMED,
            members=[world.user("owner")],
        )
        archived = add(world, title="Ancien", visibility=Visibility.EVERYONE)
        services.document_archive(document=archived)
        response = self._post(
            client,
            world,
            documents=[statement.pk, archived.pk],
            label="Banque",
            expires_on=(timezone.localdate() + timedelta(days=3)).isoformat(),
        )
        assert response.status_code == 200
        assert "Relevé" not in response.content.decode()
        assert not ShareLink.objects.exists()

    def test_the_library_selection_opens_the_form_without_creating(self, world, client):
        document = add(world, title="Diagnostic amiante", visibility="everyone")
        response = self._post(
            client, world, step="choose", documents=[document.pk], scope="selected"
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Diagnostic amiante" in html
        assert f'value="{document.pk}"' in html and "checked" in html
        assert response.context["form"].errors == {}
        assert not ShareLink.objects.exists()

    def test_the_document_page_offers_sharing_to_managers_only(self, world, client):
        document = add(world, visibility=Visibility.EVERYONE)
        url = reverse("documents:share_create", args=[world.home.slug])
        login(client, world.user("owner"))
        assert url not in client.get(document.get_absolute_url()).content.decode()
        login(client, world.user("staff"))
        page = client.get(document.get_absolute_url()).content.decode()
        assert f"{url}?documents={document.pk}" in page
        assert "No document is selected" in client.get(url).content.decode()


class TestPublicPage:
    def test_anyone_with_the_address_downloads_and_every_use_is_logged(self, world):
        document = add(world, title="Règlement", visibility=Visibility.OWNERS)
        link = make_link(world, document)
        browser = visitor()
        response = browser.get(public(link))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Règlement" in html
        assert download(link, document) in html
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]
        # Nothing else: no member's name, not even who the link is for.
        council = world.user("council")
        for secret in (council.last_name, council.email, link.label):
            assert secret not in html
        response = browser.get(download(link, document))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Referrer-Policy"] == "no-referrer"
        assert b"".join(response.streaming_content) == pdf_bytes("Règlement")
        link.refresh_from_db()
        assert link.download_count == 1
        opened, downloaded = link.accesses.order_by("at", "pk")
        assert (opened.outcome, opened.document) == (Outcome.OPENED, None)
        assert (downloaded.outcome, downloaded.document) == (
            Outcome.DOWNLOADED,
            document,
        )
        assert downloaded.ip == "198.51.100.7"
        assert downloaded.user_agent.startswith("Notaire/1.0")
        assert len(downloaded.user_agent) == 300

    def test_a_document_not_in_the_link_is_not_served(self, world):
        shared = add(world, title="Règlement", visibility=Visibility.EVERYONE)
        other = add(world, title="Budget", visibility=Visibility.EVERYONE)
        link = make_link(world, shared)
        response = visitor().get(download(link, other))
        assert response.status_code == 404
        link.refresh_from_db()
        assert link.download_count == 0

    def test_archived_or_deleted_after_sharing_is_no_longer_served(self, world):
        kept = add(world, title="Règlement", visibility=Visibility.EVERYONE)
        archived = add(world, title="Ancien PV", visibility=Visibility.EVERYONE)
        deleted = add(world, title="Devis", visibility=Visibility.EVERYONE)
        link = make_link(world, kept, archived, deleted)
        services.document_archive(document=archived)
        deleted_pk = deleted.pk
        Document.objects.filter(pk=deleted_pk).delete()
        browser = visitor()
        html = browser.get(public(link)).content.decode()
        assert "Règlement" in html
        assert "Ancien PV" not in html and "Devis" not in html
        assert browser.get(download(link, archived)).status_code == 404
        gone = reverse("documents:share_public_download", args=[link.token, deleted_pk])
        assert browser.get(gone).status_code == 404
        assert browser.get(download(link, kept)).status_code == 200

    def test_an_unknown_address_is_not_found(self, world):
        response = visitor().get(reverse("documents:share_public", args=["x" * 43]))
        assert response.status_code == 404
        assert "does not exist" in response.content.decode()
        assert response["Referrer-Policy"] == "no-referrer"


class TestPassword:
    def test_the_password_comes_first_and_is_kept_for_the_session(self, world):
        document = add(world, title="Règlement", visibility=Visibility.EVERYONE)
        link = make_link(world, document, password="s3cret-notaire")
        browser = visitor()
        response = browser.get(public(link))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Règlement" not in html and 'type="password"' in html
        assert response["Referrer-Policy"] == "no-referrer"
        # Downloading first sends back to the password form.
        response = browser.get(download(link, document))
        assert response.status_code == 302
        assert response["Location"] == public(link)
        response = browser.post(public(link), {"password": "wrong"})
        assert response.status_code == 200
        assert "not the password" in response.content.decode()
        assert "Règlement" not in response.content.decode()
        response = browser.post(public(link), {"password": "s3cret-notaire"})
        assert response.status_code == 302
        assert "Règlement" in browser.get(public(link)).content.decode()
        assert browser.get(download(link, document)).status_code == 200
        # Another browser still needs it.
        assert visitor().get(download(link, document)).status_code == 302
        outcomes = list(
            link.accesses.order_by("at", "pk").values_list("outcome", flat=True)
        )
        assert outcomes == [Outcome.BAD_PASSWORD, Outcome.OPENED, Outcome.DOWNLOADED]

    def test_wrong_passwords_are_limited_per_link_and_address(self, world):
        link = make_link(world, password="s3cret-notaire")
        browser = visitor()
        for _attempt in range(sharing.PASSWORD_ATTEMPTS - 1):
            assert browser.post(public(link), {"password": "guess"}).status_code == 200
        # The fifth wrong one closes the door for a while.
        assert browser.post(public(link), {"password": "guess"}).status_code == 429
        response = browser.post(public(link), {"password": "s3cret-notaire"})
        assert response.status_code == 429
        assert "Too many wrong passwords" in response.content.decode()
        assert browser.get(public(link)).status_code == 429
        assert link.accesses.filter(outcome=Outcome.BAD_PASSWORD).count() == 6
        # Another address is not blocked.
        other = visitor("203.0.113.9")
        assert (
            other.post(public(link), {"password": "s3cret-notaire"}).status_code == 302
        )


class TestRefusals:
    def test_an_expired_link_says_so(self, world):
        document = add(world, visibility=Visibility.EVERYONE)
        link = make_link(world, document)
        ShareLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        browser = visitor()
        response = browser.get(public(link))
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert response["X-Robots-Tag"].startswith("noindex")
        assert browser.get(download(link, document)).status_code == 410
        outcomes = set(link.accesses.values_list("outcome", flat=True))
        assert outcomes == {Outcome.EXPIRED}
        assert link.accesses.filter(document=document).count() == 1

    def test_a_revoked_link_says_so(self, world, client):
        document = add(world, visibility=Visibility.EVERYONE)
        link = make_link(world, document)
        browser = visitor()
        assert browser.get(download(link, document)).status_code == 200
        login(client, world.user("manager"))
        response = client.post(
            reverse("documents:share_revoke", args=[world.home.slug, link.pk])
        )
        assert response.status_code == 302
        link.refresh_from_db()
        assert link.revoked_at is not None
        response = browser.get(public(link))
        assert response.status_code == 410
        assert "revoked" in response.content.decode()
        assert browser.get(download(link, document)).status_code == 410
        assert link.accesses.filter(outcome=Outcome.REVOKED).count() == 2
        # Revoking again keeps the first date.
        first = link.revoked_at
        sharing.share_link_revoke(link=link)
        link.refresh_from_db()
        assert link.revoked_at == first

    def test_the_limit_is_never_passed(self, world):
        document = add(world, visibility=Visibility.EVERYONE)
        link = make_link(world, document, max_downloads=2)
        browser = visitor()
        assert browser.get(download(link, document)).status_code == 200
        assert browser.get(download(link, document)).status_code == 200
        response = browser.get(download(link, document))
        assert response.status_code == 410
        assert "used up" in response.content.decode()
        assert browser.get(public(link)).status_code == 410
        link.refresh_from_db()
        assert link.download_count == 2
        assert link.accesses.filter(outcome=Outcome.DOWNLOADED).count() == 2
        assert link.accesses.filter(outcome=Outcome.LIMIT).count() == 2

    def test_two_downloads_at_the_limit_count_once(self, world):
        link = make_link(world, max_downloads=1)
        stale = ShareLink.objects.get(pk=link.pk)  # both read count 0 earlier
        assert sharing.share_download_count(link=link) == sharing.State.ACTIVE
        assert sharing.share_download_count(link=stale) == sharing.State.EXHAUSTED
        assert ShareLink.objects.get(pk=link.pk).download_count == 1
        # And the table itself refuses more.
        with pytest.raises(IntegrityError), transaction.atomic():
            ShareLink.objects.filter(pk=link.pk).update(download_count=2)


class TestManaging:
    def test_the_list_shows_state_and_use(self, world, client):
        active = make_link(world, label="Banque")
        revoked = sharing.share_link_revoke(link=make_link(world, label="Notaire"))
        used_up = make_link(world, label="Acheteur", max_downloads=1)
        sharing.share_download_count(link=used_up)
        visitor().get(public(active))
        login(client, world.user("president"))
        response = client.get(reverse("documents:share_list", args=[world.home.slug]))
        states = {link.label: state for link, state, _label in response.context["rows"]}
        assert states == {
            "Banque": sharing.State.ACTIVE,
            "Notaire": sharing.State.REVOKED,
            "Acheteur": sharing.State.EXHAUSTED,
        }
        html = response.content.decode()
        assert "Download limit reached" in html and "Revoked" in html
        assert revoked.label in html
        row = next(link for link, *_ in response.context["rows"] if link == active)
        assert row.access_count == 1 and row.last_access is not None

    def test_the_detail_shows_the_access_log(self, world, client):
        document = add(world, title="Règlement", visibility=Visibility.EVERYONE)
        link = make_link(world, document)
        browser = visitor()
        browser.get(public(link))
        browser.get(download(link, document))
        login(client, world.user("staff"))
        response = client.get(
            reverse("documents:share_detail", args=[world.home.slug, link.pk])
        )
        html = response.content.decode()
        assert "198.51.100.7" in html and "Notaire/1.0" in html
        assert "Downloaded" in html and "Opened" in html
        assert len(response.context["page"]) == 2

    def test_a_creator_who_left_the_council_keeps_their_own_links(self, world, client):
        mine = make_link(world, label="Mon notaire", by="council")
        theirs = make_link(world, label="Banque", by="manager")
        Membership.objects.filter(user=world.user("council")).update(role=Role.OWNER)
        login(client, world.user("council"))
        url = reverse("documents:share_list", args=[world.home.slug])
        response = client.get(url)
        assert response.status_code == 200
        assert [link for link, *_ in response.context["rows"]] == [mine]
        detail = reverse("documents:share_detail", args=[world.home.slug, theirs.pk])
        assert client.get(detail).status_code == 404
        revoke = reverse("documents:share_revoke", args=[world.home.slug, mine.pk])
        assert client.post(revoke).status_code == 302
        create = reverse("documents:share_create", args=[world.home.slug])
        assert client.get(create).status_code == 403

    def test_links_stay_in_their_residence(self, world, client):
        theirs = sharing.share_link_create(
            residence=world.other,
            by=world.user("other_staff"),
            documents=[
                services.documents_upload(
                    residence=world.other,
                    by=world.user("other_staff"),
                    uploads=[_clean("x.pdf")],
                    visibility=Visibility.EVERYONE,
                )[0]
            ],
            label="Ailleurs",
            expires_on=timezone.localdate() + timedelta(days=3),
        )
        login(client, world.user("manager"))
        for name in ("documents:share_detail", "documents:share_revoke"):
            url = reverse(name, args=[world.home.slug, theirs.pk])
            method = client.get if name.endswith("detail") else client.post
            assert method(url).status_code == 404
        theirs.refresh_from_db()
        assert theirs.revoked_at is None
        found = standing(world.user("manager"), world.home.slug)
        assert not sharing.share_links(found).filter(pk=theirs.pk).exists()

    def test_the_service_refuses_what_cannot_be_shared(self, world):
        from django.core.exceptions import ValidationError

        personal = Document.objects.create(
            residence=world.home,
            owner=world.user("owner"),
            title="Bail",
            visibility=Visibility.NAMED,
        )
        with pytest.raises(ValidationError):
            make_link(world, personal)
        with pytest.raises(ValidationError):
            make_link(world, add(world), max_downloads=0)
        assert not ShareLink.objects.exists()


def _clean(name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from copro.lib.uploads import clean_document

    return clean_document(SimpleUploadedFile(name, pdf_bytes(name)))


@pytest.mark.parametrize("rows", [1, 25])
def test_share_list_queries_stay_constant(
    world, client, rows, django_assert_max_num_queries
):
    documents = [add(world, title=f"PV {n}", visibility="everyone") for n in range(3)]
    for n in range(rows):
        link = make_link(world, *documents[: 1 + n % 3], label=f"Notaire {n}")
        sharing.share_access_log(
            link=link, outcome=Outcome.OPENED, ip="192.0.2.1", user_agent="x"
        )
    login(client, world.user("council"))
    url = reverse("documents:share_list", args=[world.home.slug])
    client.get(url)
    # session, user, standing, count, links (+ access count and last use, creator),
    # their documents, notification badge, residence switcher
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert len(response.context["rows"]) == min(rows, 25)


@pytest.mark.parametrize("rows", [1, 25])
def test_share_detail_queries_stay_constant(
    world, client, rows, django_assert_max_num_queries
):
    documents = [add(world, title=f"PV {n}", visibility="everyone") for n in range(3)]
    link = make_link(world, *documents)
    for _n in range(rows):
        sharing.share_access_log(
            link=link,
            outcome=Outcome.DOWNLOADED,
            ip="192.0.2.1",
            user_agent="x",
            document=documents[0],
        )
    login(client, world.user("council"))
    url = reverse("documents:share_detail", args=[world.home.slug, link.pk])
    client.get(url)
    # session, user, standing, link (+ counts, creator), its documents, access count,
    # accesses (with their document), badge, switcher
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert len(response.context["page"]) == rows
