"""Bulk download: one ZIP of what the member may see, streamed when small, built by a
task (and announced by a notification) when large."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from copro.lib.uploads import clean_document
from documents import services, zips
from documents.categories import Category
from documents.models import Visibility
from notifications.models import Notification
from residents.access import standing
from residents.models import Category as NotificationCategory

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .test_library import add, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _english(english):
    """These tests read the English wording (see `english`)."""


def _zip_url(world):
    return reverse("documents:zip", args=[world.home.slug])


def _names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return archive.namelist()


def _read(response) -> dict[str, bytes]:
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _built_zip_url(world, persona: str, ids) -> str:
    """A ZIP built by the task's service for `persona` (as if the task had run)."""
    return zips.zip_build(
        user_id=world.user(persona).pk,
        residence=world.home.slug,
        ids=list(ids),
        category="",
        name=f"{zips.ZIP_FOLDER}/test-{persona}.zip",
    )


# anonymous outsider tenant owner council president staff manager other_staff
ZIP_POST = [302, 404, 200, 200, 200, 200, 200, 200, 404]
# A built ZIP opens for the member it was built for (here: the owner) and nobody else.
BUILT = [302, 404, 404, 200, 404, 404, 404, 404, 404]

VIEWS = [
    ("documents:zip", "post", lambda w, d, u: [w.home.slug], ZIP_POST),
    (
        "documents:zip",
        "get",
        lambda w, d, u: [w.home.slug],
        [302, 404, *[405] * 6, 404],
    ),
    ("documents:zip_download", "get", lambda w, d, u: None, BUILT),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    document = add(world, title="Règlement", visibility=Visibility.EVERYONE)
    built = _built_zip_url(world, "owner", [document.pk])
    url = built if args(world, document, built) is None else None
    url = url or reverse(name, args=args(world, document, built))
    client = as_persona(persona)
    response = getattr(client, method)(url, {"documents": [document.pk]})
    assert response.status_code == expected
    if expected == 200:
        assert _names(response) == ["Other/Règlement.pdf"]


class TestWhatGoesIn:
    def test_only_what_the_member_may_see(self, world, client):
        everyone = add(world, title="Règlement", visibility=Visibility.EVERYONE)
        owners = add(world, title="Budget", visibility=Visibility.OWNERS)
        council = add(world, title="Relevés bancaires", visibility=Visibility.COUNCIL)
        archived = add(world, title="Ancien", visibility=Visibility.EVERYONE)
        services.document_archive(document=archived)
        elsewhere = services.documents_upload(
            residence=world.other,
            by=world.user("other_staff"),
            uploads=[clean_document(SimpleUploadedFile("x.pdf", pdf_bytes("x")))],
            title="Ailleurs",
            visibility=Visibility.EVERYONE,
        )[0]
        ids = [everyone.pk, owners.pk, council.pk, archived.pk, elsewhere.pk, 999999]
        login(client, world.user("tenant"))
        names = _names(client.post(_zip_url(world), {"documents": ids}))
        assert names == ["Other/Règlement.pdf"]
        login(client, world.user("owner"))
        names = _names(client.post(_zip_url(world), {"documents": ids}))
        assert sorted(names) == ["Other/Budget.pdf", "Other/Règlement.pdf"]
        login(client, world.user("council"))
        names = _names(client.post(_zip_url(world), {"documents": ids}))
        assert len(names) == 3

    def test_names_are_per_category_safe_and_deduplicated(self, world, client):
        add(world, title="PV", category=Category.MINUTES, visibility="everyone")
        add(world, title="pv", category=Category.MINUTES, visibility="everyone")
        add(world, title="PV", category=Category.BUDGET, visibility="everyone")
        add(world, title="../../etc/passwd", visibility="everyone")
        add(world, title='a:b*c?"<d>|', visibility="everyone")
        login(client, world.user("owner"))
        ids = list(world.home.documents.values_list("pk", flat=True))
        names = _names(client.post(_zip_url(world), {"documents": ids}))
        minutes = "General assembly minutes (PV d'AG)"
        assert sorted(names) == sorted(
            [
                f"{minutes}/pv.pdf",  # the newest first
                f"{minutes}/PV (2).pdf",
                "Budget/PV.pdf",
                "Other/etc passwd.pdf",
                "Other/a b c d.pdf",
            ]
        )
        assert not any(".." in name or name.startswith("/") for name in names)

    def test_only_current_versions(self, world, client):
        document = add(world, title="Carnet", visibility=Visibility.EVERYONE)
        services.document_add_version(
            document=document,
            by=world.user("manager"),
            upload=clean_document(SimpleUploadedFile("v2.pdf", pdf_bytes("v2"))),
        )
        login(client, world.user("owner"))
        files = _read(client.post(_zip_url(world), {"documents": [document.pk]}))
        assert files == {"Other/Carnet.pdf": pdf_bytes("v2")}

    def test_this_page_or_a_whole_category(self, world, client):
        minutes = [
            add(
                world, title=f"PV {n}", category=Category.MINUTES, visibility="everyone"
            )
            for n in range(3)
        ]
        hidden = add(world, title="PV secret", category=Category.MINUTES)  # owners
        add(world, title="Budget", category=Category.BUDGET, visibility="everyone")
        login(client, world.user("tenant"))
        response = client.post(
            _zip_url(world),
            {"category": Category.MINUTES, "documents": [hidden.pk]},
        )
        assert len(_names(response)) == 3
        response = client.post(
            _zip_url(world),
            {
                "scope": "page",
                "page_documents": [minutes[0].pk, minutes[1].pk, hidden.pk],
                "documents": [minutes[2].pk],
            },
        )
        assert len(_names(response)) == 2

    def test_nothing_selected_goes_back_with_a_message(self, world, client):
        login(client, world.user("owner"))
        response = client.post(
            _zip_url(world), {"documents": ["x", ""], "query": "q=pv&year=2026"}
        )
        assert response.status_code == 302
        assert response["Location"].endswith("/documents/?q=pv&year=2026")
        page = client.get(response["Location"]).content.decode()
        assert "Nothing to download" in page

    def test_the_library_offers_the_selection(self, world, client):
        document = add(world, visibility=Visibility.EVERYONE)
        login(client, world.user("tenant"))
        page = client.get(reverse("documents:library", args=[world.home.slug]))
        html = page.content.decode()
        assert f'name="documents" value="{document.pk}" id="pick-{document.pk}"' in html
        assert f'<label for="pick-{document.pk}">' in html
        assert 'name="scope" value="page"' in html
        assert "documents:share_create" not in html and "shares/new" not in html
        login(client, world.user("council"))
        html = client.get(
            reverse("documents:library", args=[world.home.slug])
        ).content.decode()
        assert "shares/new/" in html


class TestLargeSelectionsGoThroughATask:
    def test_the_requester_is_notified_and_alone_can_download(
        self, world, client, settings, django_capture_on_commit_callbacks, _media
    ):
        settings.COPRO_ZIP_STREAM_MAX_DOCUMENTS = 1
        first = add(world, title="PV 2025", visibility=Visibility.EVERYONE)
        second = add(world, title="PV 2026", visibility=Visibility.EVERYONE)
        hidden = add(world, title="Budget", visibility=Visibility.OWNERS)
        login(client, world.user("tenant"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                _zip_url(world), {"documents": [first.pk, second.pk, hidden.pk]}
            )
        assert response.status_code == 302
        notification = Notification.objects.get(recipient=world.user("tenant"))
        assert notification.category == NotificationCategory.DOCUMENTS
        assert "ZIP" in notification.title
        assert "2 documents" in notification.body
        assert list((_media / "private" / "zips").iterdir())
        url = notification.url
        assert url.startswith(f"/r/{world.home.slug}/documents/zip/")
        download = client.get(url)
        assert download["Content-Disposition"].startswith("attachment")
        assert sorted(_names(download)) == ["Other/PV 2025.pdf", "Other/PV 2026.pdf"]
        for persona in ("owner", "council", "manager"):
            login(client, world.user(persona))
            assert client.get(url).status_code == 404, persona
        login(client, world.user("outsider"))
        assert client.get(url).status_code == 404

    def test_a_streamed_size_limit_also_sends_it_to_the_task(
        self, world, client, settings, django_capture_on_commit_callbacks
    ):
        settings.COPRO_ZIP_STREAM_MAX_BYTES = 100
        document = add(world, visibility=Visibility.EVERYONE)
        login(client, world.user("owner"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(_zip_url(world), {"documents": [document.pk]})
        assert response.status_code == 302
        assert Notification.objects.filter(recipient=world.user("owner")).count() == 1

    def test_too_large_is_refused(self, world, client, settings):
        settings.COPRO_ZIP_MAX_DOCUMENTS = 1
        ids = [add(world, title=f"D{n}", visibility="everyone").pk for n in range(2)]
        login(client, world.user("owner"))
        response = client.post(_zip_url(world), {"documents": ids}, follow=True)
        assert "too much for one ZIP" in response.content.decode()
        assert not Notification.objects.exists()

    def test_the_link_expires_after_24_hours(self, world, client):
        document = add(world, visibility=Visibility.EVERYONE)
        url = _built_zip_url(world, "owner", [document.pk])
        token = url.rstrip("/").rsplit("/", 1)[1]
        payload = signing.loads(token, salt=zips.ZIP_SALT)

        class IssuedYesterday(signing.TimestampSigner):
            def timestamp(self):
                return signing.b62_encode(int(time.time()) - 25 * 3600)

        old = IssuedYesterday(salt=zips.ZIP_SALT).sign_object(payload)
        login(client, world.user("owner"))
        response = client.get(
            reverse("documents:zip_download", args=[world.home.slug, old])
        )
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert client.get(url).status_code == 200

    def test_purged_files_answer_gone_and_forged_tokens_nothing(self, world, client):
        document = add(world, visibility=Visibility.EVERYONE)
        url = _built_zip_url(world, "owner", [document.pk])
        login(client, world.user("owner"))
        forged = signing.dumps(
            {"u": world.user("owner").pk, "r": world.home.pk, "f": "private/x.pdf"},
            salt=zips.ZIP_SALT,
        )
        assert (
            client.get(
                reverse("documents:zip_download", args=[world.home.slug, forged])
            ).status_code
            == 404
        )
        assert zips.purge_old_zips() == 0  # still fresh
        assert zips.purge_old_zips(older_than=zips.timedelta(0)) == 1
        assert client.get(url).status_code == 410

    def test_building_twice_does_nothing_the_second_time(self, world):
        document = add(world, visibility=Visibility.EVERYONE)
        assert _built_zip_url(world, "owner", [document.pk])
        assert _built_zip_url(world, "owner", [document.pk]) == ""

    def test_access_is_checked_again_when_building(self, world):
        document = add(world, visibility=Visibility.OWNERS)
        assert _built_zip_url(world, "tenant", [document.pk]) == ""
        assert _built_zip_url(world, "outsider", [document.pk]) == ""


def test_selection_selector_goes_through_the_library(world):
    visible = add(world, title="Vu", visibility=Visibility.EVERYONE)
    hidden = add(world, title="Caché", visibility=Visibility.COUNCIL)
    found = standing(world.user("owner"), world.home.slug)
    selection = zips.zip_selection(found, ids=[visible.pk, hidden.pk])
    assert list(selection) == [visible]
    size = zips.size_of(selection)
    assert size.count == 1 and size.bytes == visible.current_version.size


@pytest.mark.parametrize("rows", [1, 25])
def test_zip_queries_stay_constant(world, client, rows, django_assert_max_num_queries):
    ids = [add(world, title=f"PV {n}", visibility="everyone").pk for n in range(rows)]
    login(client, world.user("owner"))
    client.get(reverse("documents:library", args=[world.home.slug]))  # session saved
    # session, user, standing, size (count + bytes), documents with their versions
    with django_assert_max_num_queries(5):
        response = client.post(_zip_url(world), {"documents": ids})
        assert len(_names(response)) == rows
