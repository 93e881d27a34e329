"""The documents library: who sees what, uploads checked by content, versions,
archive, search inside PDFs, the legal checklist and the personal space."""

from __future__ import annotations

import functools
import io
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from weasyprint import HTML

from copro.lib.uploads import clean_document
from documents import selectors, services
from documents.categories import Category, Scope
from documents.models import Document, DocumentVersion, Visibility
from residents.access import standing

from ..conftest import MATRIX_ARGS, login, matrix_cells

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@functools.cache
def pdf_bytes(text: str) -> bytes:
    return HTML(string=f"<html><body><p>{text}</p></body></html>").write_pdf()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def add(world, title="Règlement", visibility=Visibility.OWNERS, content=None, **kw):
    upload = SimpleUploadedFile(f"{title}.pdf", content or pdf_bytes(title))
    return services.documents_upload(
        residence=world.home,
        by=world.user("manager"),
        uploads=[clean_document(upload)],
        title=title,
        visibility=visibility,
        **kw,
    )[0]


def files_in(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


# anonymous outsider tenant owner council president staff manager other_staff
READ = [302, 404, 200, 200, 200, 200, 200, 200, 404]
OWNERS_DOC = [302, 404, 404, 200, 200, 200, 200, 200, 404]
MANAGE = [302, 404, 403, 403, 200, 200, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 302, 302, 302, 302, 404]
PERSONAL_POST = [302, 404, 302, 302, 302, 302, 302, 302, 404]


def _slug(w, d):
    return [w.home.slug]


def _doc(w, d):
    return [w.home.slug, d.pk]


VIEWS = [
    ("documents:library", "get", _slug, READ),
    ("documents:detail", "get", _doc, OWNERS_DOC),
    ("documents:download", "get", lambda w, d: [w.home.slug, d.pk, 1], OWNERS_DOC),
    ("documents:upload", "get", _slug, MANAGE),
    ("documents:upload", "post", _slug, MANAGE_POST),
    ("documents:edit", "get", _doc, MANAGE),
    ("documents:edit", "post", _doc, MANAGE_POST),
    ("documents:add_version", "post", _doc, MANAGE_POST),
    ("documents:archive", "post", _doc, MANAGE_POST),
    ("documents:checklist", "get", _slug, MANAGE),
    ("documents:personal", "get", _slug, READ),
    ("documents:personal", "post", _slug, PERSONAL_POST),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    document = add(world)
    client = as_persona(persona)
    data = {
        "title": "Changed",
        "category": Category.OTHER,
        "date": "2026-01-01",
        "visibility": Visibility.EVERYONE,
        "archived": "1",
        "files": [SimpleUploadedFile("x.pdf", pdf_bytes("x"))],
        "file": SimpleUploadedFile("v2.pdf", pdf_bytes("v2")),
    }
    response = getattr(client, method)(reverse(name, args=args(world, document)), data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        document.refresh_from_db()
        assert document.title == "Règlement"
        assert document.archived_at is None
        assert Document.objects.filter(owner__isnull=True).count() == 1
        assert DocumentVersion.objects.filter(document=document).count() == 1


@pytest.mark.parametrize(
    ("visibility", "seen_by"),
    [
        (Visibility.EVERYONE, {"tenant", "owner", "council", "staff"}),
        (Visibility.OWNERS, {"owner", "council", "staff"}),
        (Visibility.COUNCIL, {"council", "staff"}),
    ],
)
def test_visibility(world, visibility, seen_by):
    document = add(world, visibility=visibility)
    for persona in ("tenant", "owner", "council", "staff"):
        found = standing(world.user(persona), world.home.slug)
        visible = selectors.document_for(found, document.pk) is not None
        assert visible == (persona in seen_by), persona
        in_list = selectors.library(found).filter(pk=document.pk).exists()
        assert in_list == visible


def test_named_documents_reach_named_people_and_lot_holders(world):
    lot = world.home.lots.order_by("number").first()  # the tenant's and owner's lot
    statement = add(
        world,
        title="Relevé de compte",
        visibility=Visibility.NAMED,
        category=Category.OWNER_ACCOUNT,
        lots=[lot],
    )
    letter = add(
        world,
        title="Courrier",
        visibility=Visibility.NAMED,
        members=[world.user("council")],
    )
    seen = {}
    for persona in ("tenant", "owner", "council", "president", "staff"):
        found = standing(world.user(persona), world.home.slug)
        seen[persona] = set(selectors.library(found).values_list("title", flat=True))
    assert seen["owner"] == seen["tenant"] == {"Relevé de compte"}
    assert seen["council"] == {"Courrier"}
    assert seen["president"] == set()  # the council does not see others' accounts
    assert seen["staff"] == {"Relevé de compte", "Courrier"}
    assert statement.pk and letter.pk


def test_named_visibility_needs_someone(world, client):
    login(client, world.user("manager"))
    response = client.post(
        reverse("documents:upload", args=[world.home.slug]),
        {
            "files": [SimpleUploadedFile("a.pdf", pdf_bytes("a"))],
            "category": Category.OTHER,
            "date": "2026-03-01",
            "visibility": Visibility.NAMED,
        },
    )
    assert response.status_code == 200
    assert "members" in response.context["form"].errors
    assert not Document.objects.exists()


def test_tenant_cannot_download_an_owners_document_by_url(world, client):
    document = add(world, visibility=Visibility.OWNERS)
    login(client, world.user("tenant"))
    url = reverse("documents:download", args=[world.home.slug, document.pk, 1])
    assert client.get(url).status_code == 404
    login(client, world.user("owner"))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


class TestUpload:
    def _post(self, client, world, *files, **extra):
        login(client, world.user("council"))
        return client.post(
            reverse("documents:upload", args=[world.home.slug]),
            {
                "files": list(files),
                "category": Category.CONTRACTS,
                "date": "2026-03-01",
                "visibility": Visibility.EVERYONE,
                "tags": "Ascenseur, 2026, ascenseur",
                **extra,
            },
        )

    def test_several_files_at_once(self, world, client, _media):
        png = io.BytesIO()
        Image.new("RGB", (20, 20)).save(png, "PNG")
        response = self._post(
            client,
            world,
            SimpleUploadedFile("contrat_ascenseur.pdf", pdf_bytes("Contrat")),
            SimpleUploadedFile("plan.png", png.getvalue()),
            SimpleUploadedFile("budget.docx", docx_bytes()),
        )
        assert response.status_code == 302
        documents = {d.title: d for d in Document.objects.all()}
        assert set(documents) == {"contrat ascenseur", "plan", "budget"}
        kinds = {d.title: d.current_version.kind for d in documents.values()}
        assert kinds == {"contrat ascenseur": "pdf", "plan": "image", "budget": "word"}
        assert documents["plan"].tags == ["ascenseur", "2026"]
        assert len(files_in(_media)) == 3

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("facture.pdf", b"MZ\x90\x00\x03 this is a Windows program"),
            ("page.pdf", b"<html><script>alert(1)</script></html>"),
            (
                "logo.png",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
            ),
            ("macro.docx", None),
            ("archive.zip", b"PK\x03\x04 not really a zip"),
        ],
    )
    def test_a_disguised_file_is_refused_and_nothing_is_kept(
        self, world, client, _media, name, content
    ):
        if content is None:  # a macro-enabled document named .docx
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr(
                    "[Content_Types].xml",
                    '<Types><Override ContentType="application/vnd.ms-word.'
                    'document.macroEnabled.main+xml"/></Types>',
                )
                archive.writestr("word/document.xml", "<w:document/>")
            content = buffer.getvalue()
        response = self._post(
            client,
            world,
            SimpleUploadedFile("good.pdf", pdf_bytes("ok")),
            SimpleUploadedFile(name, content),
        )
        assert response.status_code == 200
        assert name in response.content.decode()
        assert not Document.objects.exists()
        assert files_in(_media) == []

    def test_an_oversized_file_is_refused(self, world, client, settings, _media):
        settings.COPRO_DOCUMENT_MAX_BYTES = 1000
        response = self._post(
            client, world, SimpleUploadedFile("gros.pdf", pdf_bytes("x" * 50))
        )
        assert response.status_code == 200
        assert "gros.pdf" in response.content.decode()
        assert not Document.objects.exists()

    def test_a_path_traversal_name_is_made_safe(self, world, client, _media):
        self._post(
            client, world, SimpleUploadedFile("../../../etc/passwd.pdf", pdf_bytes("x"))
        )
        version = DocumentVersion.objects.get()
        assert version.original_name == "passwd.pdf"
        assert version.file.name.startswith("private/documents/")
        assert ".." not in version.file.name
        assert all(str(p).startswith(str(_media)) for p in files_in(_media))


def test_search_finds_a_word_inside_the_pdf_not_in_the_title(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(
            world,
            title="Contrat d'entretien",
            content=pdf_bytes("Révision annuelle des Ascenseurs et du monte-charge."),
            visibility=Visibility.EVERYONE,
        )
        add(world, title="Assurance", visibility=Visibility.EVERYONE)
    login(client, world.user("owner"))
    response = client.get(
        reverse("documents:library", args=[world.home.slug]), {"q": "ascenseur"}
    )
    titles = [d.title for d in response.context["page"]]
    assert titles == ["Contrat d'entretien"]
    assert "<mark>Ascenseurs</mark>" in response.content.decode()


def test_search_ranks_title_before_text_and_handles_accents(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(world, title="Rapport", content=pdf_bytes("travaux d'électricité"))
        add(world, title="Électricité des parties communes")
    found = standing(world.user("owner"), world.home.slug)
    results = selectors.search_library(found, selectors.Filters(q="electricite"))
    assert [d.title for d in results] == ["Électricité des parties communes", "Rapport"]


def test_snippets_escape_what_the_pdf_says(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add(
            world,
            title="Note",
            content=pdf_bytes("Tarif &lt;b&gt; 5 &amp; 6 ascenseur"),
        )
    from documents.templatetags.documents import highlight

    found = standing(world.user("owner"), world.home.slug)
    found_docs = selectors.search_library(found, selectors.Filters(q="ascenseur"))
    result = selectors.with_snippets(found_docs, "ascenseur").get()
    html = highlight(result.snippet)
    assert "<mark>ascenseur</mark>" in html
    bare = html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare
    assert "&amp;" in bare


def test_filters_combine_and_stay_in_the_links(world, client):
    add(world, title="PV 2025", category=Category.MINUTES, date=date(2025, 6, 1))
    add(world, title="PV 2026", category=Category.MINUTES, date=date(2026, 6, 1))
    add(world, title="Budget 2026", category=Category.BUDGET, date=date(2026, 1, 1))
    login(client, world.user("owner"))
    url = reverse("documents:library", args=[world.home.slug])
    response = client.get(url, {"category": Category.MINUTES, "year": "2026"})
    assert [d.title for d in response.context["page"]] == ["PV 2026"]
    assert response.context["years"] == [2026, 2025]
    assert client.get(url, {"year": "nonsense"}).status_code == 200


def test_a_new_version_keeps_the_previous_one(world, client):
    document = add(world, title="Carnet d'entretien")
    login(client, world.user("staff"))
    response = client.post(
        reverse("documents:add_version", args=[world.home.slug, document.pk]),
        {
            "file": SimpleUploadedFile("carnet-v2.pdf", pdf_bytes("v2")),
            "note": "Ajout 2026",
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.current_version.number == 2
    assert document.current_version.note == "Ajout 2026"
    login(client, world.user("owner"))
    first = client.get(
        reverse("documents:download", args=[world.home.slug, document.pk, 1])
    )
    assert first.status_code == 200
    page = client.get(document.get_absolute_url()).content.decode()
    assert "carnet-v2.pdf" in page and "Ajout 2026" in page


def test_a_bad_new_version_changes_nothing(world, client):
    document = add(world)
    login(client, world.user("staff"))
    response = client.post(
        reverse("documents:add_version", args=[world.home.slug, document.pk]),
        {"file": SimpleUploadedFile("v2.pdf", b"not a pdf")},
    )
    assert response.status_code == 200
    assert "v2.pdf" in response.content.decode()
    document.refresh_from_db()
    assert document.current_version.number == 1


def test_archived_documents_leave_the_library_but_stay_consultable(world, client):
    document = add(world, visibility=Visibility.EVERYONE)
    login(client, world.user("council"))
    client.post(
        reverse("documents:archive", args=[world.home.slug, document.pk]),
        {"archived": "1"},
    )
    login(client, world.user("tenant"))
    url = reverse("documents:library", args=[world.home.slug])
    assert list(client.get(url).context["page"]) == []
    assert [d.pk for d in client.get(url, {"archive": "1"}).context["page"]] == [
        document.pk
    ]
    assert client.get(document.get_absolute_url()).status_code == 200
    assert (
        client.get(
            reverse("documents:download", args=[world.home.slug, document.pk, 1])
        ).status_code
        == 200
    )


def test_editing_keeps_history(world, client):
    document = add(world)
    login(client, world.user("council"))
    response = client.post(
        reverse("documents:edit", args=[world.home.slug, document.pk]),
        {
            "title": "Règlement de copropriété",
            "category": Category.REGLEMENT,
            "date": "2026-02-01",
            "visibility": Visibility.EVERYONE,
            "tags": "règlement",
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.category == Category.REGLEMENT
    assert document.history.count() >= 2


class TestChecklist:
    def test_shows_what_is_current_missing_or_old(self, world):
        add(
            world, title="Règlement", category=Category.REGLEMENT, date=date(1990, 1, 1)
        )
        add(
            world,
            title="Assurance 2024",
            category=Category.INSURANCE,
            date=timezone.localdate() - timedelta(days=400),
        )
        add(
            world, title="Assurance", category=Category.INSURANCE, date=date(2020, 1, 1)
        )
        lots = list(world.home.lots.order_by("number"))
        add(
            world,
            title="Compte",
            category=Category.OWNER_ACCOUNT,
            visibility=Visibility.NAMED,
            members=[world.user("owner")],
        )
        found = standing(world.user("council"), world.home.slug)
        rows = {
            r.requirement.category: r
            for r in selectors.legal_checklist(found)[Scope.ALL_OWNERS]
        }
        assert rows[Category.REGLEMENT].current  # no age limit
        assert not rows[Category.INSURANCE].current  # more than a year old
        assert rows[Category.INSURANCE].latest is not None
        assert not rows[Category.EDD].current and rows[Category.EDD].latest is None
        owner_rows = {
            r.requirement.category: r
            for r in selectors.legal_checklist(found)[Scope.EACH_OWNER]
        }
        account = owner_rows[Category.OWNER_ACCOUNT]
        assert (account.owners_covered, account.owners_total) == (1, 3)
        assert not account.current
        assert lots

    def test_page_queries_stay_constant(
        self, world, client, django_assert_max_num_queries
    ):
        for n in range(25):
            add(world, title=f"PV {n}", category=Category.MINUTES)
        login(client, world.user("council"))
        url = reverse("documents:checklist", args=[world.home.slug])
        client.get(url)
        # session, user, standing, categories/dates, owners, per-owner documents,
        # badge, switcher
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.context["missing"] > 0


class TestPersonalSpace:
    def _upload(self, client, world, persona="owner", name="bail.pdf", content=None):
        login(client, world.user(persona))
        return client.post(
            reverse("documents:personal", args=[world.home.slug]),
            {"file": SimpleUploadedFile(name, content or pdf_bytes("bail"))},
        )

    def test_nobody_else_opens_it_not_even_the_syndic(self, world, client):
        assert self._upload(client, world).status_code == 302
        document = Document.objects.get()
        assert document.owner == world.user("owner")
        for persona in ("tenant", "council", "staff", "manager"):
            login(client, world.user(persona))
            assert client.get(document.get_absolute_url()).status_code == 404
            download = reverse(
                "documents:download", args=[world.home.slug, document.pk, 1]
            )
            assert client.get(download).status_code == 404
            found = standing(world.user(persona), world.home.slug)
            assert not selectors.library(found).filter(pk=document.pk).exists()
        login(client, world.user("owner"))
        assert client.get(document.get_absolute_url()).status_code == 200

    def test_only_the_owner_deletes(self, world, client):
        self._upload(client, world)
        document = Document.objects.get()
        url = reverse("documents:personal_delete", args=[world.home.slug, document.pk])
        login(client, world.user("manager"))
        assert client.post(url).status_code == 404
        assert Document.objects.exists()
        login(client, world.user("owner"))
        assert client.post(url).status_code == 302
        assert not Document.objects.exists()

    def test_the_quota_is_enforced(self, world, client, settings):
        settings.COPRO_PERSONAL_SPACE_QUOTA = len(pdf_bytes("bail")) + 10
        assert self._upload(client, world).status_code == 302
        response = self._upload(client, world, name="quittance.pdf")
        assert response.status_code == 200
        assert "quittance.pdf" in response.content.decode()
        assert Document.objects.count() == 1


@pytest.mark.parametrize("rows", [1, 30])
def test_library_queries_stay_constant(
    world,
    client,
    rows,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(rows):
            add(world, title=f"Contrat {n}", visibility=Visibility.EVERYONE, tags=["x"])
    login(client, world.user("tenant"))
    url = reverse("documents:library", args=[world.home.slug])
    client.get(url)
    # session, user, standing, count, page of ids, the page's rows (with versions and
    # snippets), years, badge, switcher
    with django_assert_max_num_queries(9):
        client.get(url)
    with django_assert_max_num_queries(9):
        response = client.get(url, {"q": "contrat", "tag": "x"})
    assert len(response.context["page"]) == min(rows, 25)


def test_a_signed_document_gets_no_new_version(world):
    from django.core.exceptions import ValidationError

    from documents.models import SignatureRequest, SignatureStatus

    document = add(world)
    SignatureRequest.objects.create(
        document=document,
        version=document.current_version,
        signer=world.user("owner"),
        status=SignatureStatus.SIGNED,
        signed_version=document.current_version,
    )
    upload = clean_document(SimpleUploadedFile("v2.pdf", pdf_bytes("v2")))
    with pytest.raises(ValidationError):
        services.document_add_version(
            document=document, by=world.user("manager"), upload=upload
        )
    assert document.versions.count() == 1


def test_a_new_version_cancels_the_signatures_asked_on_the_old_text(world):
    from documents.models import SignatureRequest, SignatureStatus

    document = add(world)
    pending = SignatureRequest.objects.create(
        document=document, version=document.current_version, signer=world.user("owner")
    )
    upload = clean_document(SimpleUploadedFile("v2.pdf", pdf_bytes("v2")))
    services.document_add_version(
        document=document, by=world.user("manager"), upload=upload
    )
    pending.refresh_from_db()
    assert pending.status == SignatureStatus.CANCELLED
    assert pending.history.count() == 2
