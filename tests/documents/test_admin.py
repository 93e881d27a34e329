"""The back office for documents and API tokens: syndic staff upload and edit the
documents of the residences their syndic manages; personal documents never appear;
managers create API tokens for their syndic and see the full token once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from copro.lib.uploads import clean_document
from documents import api, services
from documents.categories import Category
from documents.models import ApiToken, Document, Visibility

from ..conftest import PERSONAS, login
from .test_library import add, files_in, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


CHANGELIST = reverse("backoffice:documents_document_changelist")
ADD = reverse("backoffice:documents_document_add")
TOKENS = reverse("backoffice:documents_apitoken_changelist")
TOKEN_ADD = reverse("backoffice:documents_apitoken_add")


def _change(document) -> str:
    return reverse("backoffice:documents_document_change", args=[document.pk])


def _personal(world, title="Mon bail"):
    return services.personal_document_add(
        residence=world.home,
        owner=world.user("owner"),
        upload=clean_document(SimpleUploadedFile("bail.pdf", pdf_bytes(title))),
        title=title,
    )


def _form_data(response) -> dict:
    """What the change page would post back as it is (its inline management
    forms included)."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is not None:
                    data[sub.add_prefix(name)] = value
    return data


# Non-staff are sent to the back office's login (302); staff of the other syndic
# see their own residences only (the home residence's documents "do not exist").
# anonymous outsider tenant owner council president staff manager other_staff
ROWS = {
    "changelist": [302, 302, 302, 302, 302, 302, 200, 200, 200],
    "add": [302, 302, 302, 302, 302, 302, 200, 200, 404],
    "add_post": [302, 302, 302, 302, 302, 302, 302, 302, 404],
    "change": [302, 302, 302, 302, 302, 302, 200, 200, 302],
    "change_post": [302, 302, 302, 302, 302, 302, 302, 302, 302],
    "history": [302, 302, 302, 302, 302, 302, 200, 200, 403],
    "tokens": [302, 302, 302, 302, 302, 302, 403, 200, 403],
    "token_add": [302, 302, 302, 302, 302, 302, 403, 200, 403],
}


@pytest.mark.parametrize(
    ("view", "persona", "expected"),
    [
        (view, persona, row[i])
        for view, row in ROWS.items()
        for i, persona in enumerate(PERSONAS)
    ],
)
def test_role_matrix(world, as_persona, client, view, persona, expected):
    document = add(world, title="Règlement")
    client = as_persona(persona)
    home = f"?residence={world.home.pk}"
    if view == "changelist":
        response = client.get(CHANGELIST)
    elif view == "add":
        response = client.get(ADD + home)
    elif view == "add_post":
        response = client.post(
            ADD,
            {
                "residence": world.home.pk,
                "files": [SimpleUploadedFile("contrat.pdf", pdf_bytes("c"))],
                "category": Category.CONTRACTS,
                "date": "2026-03-01",
                "visibility": Visibility.EVERYONE,
            },
        )
    elif view == "change":
        response = client.get(_change(document))
    elif view == "change_post":
        response = client.post(
            _change(document),
            {
                "title": "Changed",
                "category": Category.OTHER,
                "date": "2026-01-01",
                "visibility": Visibility.EVERYONE,
                "versions-TOTAL_FORMS": "0",
                "versions-INITIAL_FORMS": "0",
            },
        )
    elif view == "history":
        response = client.get(
            reverse("backoffice:documents_document_history", args=[document.pk])
        )
    elif view == "tokens":
        response = client.get(TOKENS)
    else:
        response = client.post(
            TOKEN_ADD, {"name": "ERP", "syndic": world.home.syndic_id}
        )
    assert response.status_code == expected
    if view == "changelist" and expected == 200:
        shown = {d.pk for d in response.context["cl"].result_list}
        assert shown == ({document.pk} if persona in ("staff", "manager") else set())
    document.refresh_from_db()
    if persona not in ("staff", "manager"):
        assert document.title == "Règlement"
        assert Document.objects.count() == 1
        assert not ApiToken.objects.exists()


class TestUpload:
    def _post(self, client, world, *files, **extra):
        return client.post(
            ADD,
            {
                "residence": world.home.pk,
                "files": list(files),
                "title": "Contrats",
                "category": Category.MAINTENANCE_CONTRACTS,
                "date": "2026-02-01",
                "visibility": Visibility.EVERYONE,
                "tags": "ascenseur",
                **extra,
            },
        )

    def test_staff_upload_several_files(self, world, client, media):
        login(client, world.user("staff"))
        page = client.get(ADD)
        assert page.status_code == 200
        assert page.context["residence"] == world.home
        assert list(page.context["residences"]) == [world.home]
        response = self._post(
            client,
            world,
            SimpleUploadedFile("ascenseur.pdf", pdf_bytes("Ascenseur")),
            SimpleUploadedFile("chaudiere.pdf", pdf_bytes("Chaudière")),
        )
        assert response.status_code == 302
        assert response.url == f"{CHANGELIST}?residence__id__exact={world.home.pk}"
        documents = Document.objects.order_by("title")
        assert [d.title for d in documents] == [
            "Contrats — ascenseur",
            "Contrats — chaudiere",
        ]
        assert {d.residence_id for d in documents} == {world.home.pk}
        assert {d.created_by for d in documents} == {world.user("staff")}
        assert all(d.tags == ["ascenseur"] for d in documents)
        assert len(files_in(media)) == 2
        listed = client.get(response.url)
        assert {d.pk for d in listed.context["cl"].result_list} == {
            d.pk for d in documents
        }

    def test_named_members_come_from_the_chosen_residence(self, world, client):
        login(client, world.user("manager"))
        response = self._post(
            client,
            world,
            SimpleUploadedFile("releve.pdf", pdf_bytes("Relevé")),
            visibility=Visibility.NAMED,
            members=[world.user("owner").pk],
        )
        assert response.status_code == 302
        document = Document.objects.get()
        assert list(document.members.all()) == [world.user("owner")]
        # A member of another residence is not a valid choice.
        response = self._post(
            client,
            world,
            SimpleUploadedFile("autre.pdf", pdf_bytes("Autre")),
            visibility=Visibility.NAMED,
            members=[world.user("outsider").pk],
        )
        assert response.status_code == 200
        assert "members" in response.context["form"].errors
        assert Document.objects.count() == 1

    def test_a_disguised_file_is_refused_with_what_was_typed(
        self, world, client, media
    ):
        login(client, world.user("staff"))
        response = self._post(
            client,
            world,
            SimpleUploadedFile("ok.pdf", pdf_bytes("ok")),
            SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 a Windows program"),
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert "virus.pdf" in " ".join(form.errors["files"])
        assert form["title"].value() == "Contrats"
        assert 'value="Contrats"' in response.content.decode()
        assert not Document.objects.exists()
        assert files_in(media) == []

    def test_an_oversized_file_is_refused(self, world, client, settings):
        settings.COPRO_DOCUMENT_MAX_BYTES = 1000
        login(client, world.user("staff"))
        response = self._post(
            client, world, SimpleUploadedFile("gros.pdf", pdf_bytes("x" * 10))
        )
        assert response.status_code == 200
        assert "files" in response.context["form"].errors
        assert not Document.objects.exists()

    def test_other_syndics_staff_cannot_upload_here(self, world, client):
        login(client, world.user("other_staff"))
        page = client.get(ADD)
        assert page.context["residence"] == world.other  # their own only
        assert list(page.context["residences"]) == [world.other]
        response = self._post(
            client, world, SimpleUploadedFile("a.pdf", pdf_bytes("a"))
        )
        assert response.status_code == 404
        assert client.get(f"{ADD}?residence=nope").status_code == 404
        assert not Document.objects.exists()

    def test_platform_admin_chooses_among_all_residences(
        self, world, client, admin_user
    ):
        login(client, admin_user)
        page = client.get(f"{ADD}?residence={world.other.pk}")
        assert page.status_code == 200
        assert page.context["residence"] == world.other
        assert set(page.context["residences"]) == {world.home, world.other}
        assert 'id="id_residence_choice"' in page.content.decode()


class TestPersonalDocumentsStayOut:
    def test_never_listed_nor_opened(self, world, client, admin_user):
        personal = _personal(world)
        shared = add(world)
        for user in (world.user("staff"), world.user("manager"), admin_user):
            login(client, user)
            listed = client.get(CHANGELIST)
            assert [d.pk for d in listed.context["cl"].result_list] == [shared.pk]
            assert client.get(f"{CHANGELIST}?q=bail").context["cl"].result_count == 0
            assert client.get(_change(personal)).status_code == 302  # "not found"
            history = reverse(
                "backoffice:documents_document_history", args=[personal.pk]
            )
            assert client.get(history).status_code == 403
            record = personal.history.first()
            one = reverse(
                "backoffice:documents_document_simple_history",
                args=[personal.pk, record.history_id],
            )
            assert client.get(one).status_code == 403

    def test_an_edit_cannot_reach_them(self, world, client):
        personal = _personal(world)
        login(client, world.user("manager"))
        client.post(
            _change(personal),
            {
                "title": "Lu par le syndic",
                "category": Category.OTHER,
                "date": "2026-01-01",
                "visibility": Visibility.EVERYONE,
            },
        )
        personal.refresh_from_db()
        assert personal.title == "Mon bail"
        assert personal.visibility == Visibility.NAMED


class TestChange:
    def test_metadata_is_edited_through_the_service(self, world, client):
        document = add(world, title="Contrat", visibility=Visibility.OWNERS)
        login(client, world.user("staff"))
        page = client.get(_change(document))
        assert page.status_code == 200
        html = page.content.decode()
        download = reverse("documents:download", args=[world.home.slug, document.pk, 1])
        assert download in html  # the versions, read-only
        data = _form_data(page)
        data.update(
            title="Contrat d'entretien",
            tags="Ascenseur, Ascenseur, 2026",
            visibility=Visibility.NAMED,
            members=[world.user("owner").pk],
        )
        response = client.post(_change(document), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        document.refresh_from_db()
        assert document.title == "Contrat d'entretien"
        assert document.tags == ["ascenseur", "2026"]  # normalised by the service
        assert list(document.members.all()) == [world.user("owner")]
        assert document.history.first().history_user == world.user("staff")
        # Search follows the new title.
        assert Document.objects.filter(search="entretien").exists()

    def test_named_without_anyone_is_refused(self, world, client):
        document = add(world, title="Contrat")
        login(client, world.user("staff"))
        data = _form_data(client.get(_change(document)))
        data.update(visibility=Visibility.NAMED, title="Changé")
        response = client.post(_change(document), data)
        assert response.status_code == 200
        assert "members" in response.context["adminform"].form.errors
        document.refresh_from_db()
        assert document.title == "Contrat"

    def test_archive_and_restore_actions(self, world, client):
        documents = [add(world, title=f"PV {n}") for n in range(3)]
        login(client, world.user("manager"))
        response = client.post(
            CHANGELIST,
            {
                "action": "archive_documents",
                "_selected_action": [d.pk for d in documents[:2]],
            },
        )
        assert response.status_code == 302
        archived = client.get(f"{CHANGELIST}?archived=yes").context["cl"].result_list
        assert {d.pk for d in archived} == {d.pk for d in documents[:2]}
        client.post(
            CHANGELIST,
            {"action": "restore_documents", "_selected_action": [documents[0].pk]},
        )
        library = client.get(f"{CHANGELIST}?archived=no").context["cl"].result_list
        assert {d.pk for d in library} == {documents[0].pk, documents[2].pk}

    def test_filters_and_search(self, world, client):
        add(world, title="Règlement de copropriété", category=Category.REGLEMENT)
        add(world, title="Budget 2026", category=Category.BUDGET, visibility="council")
        login(client, world.user("staff"))

        def titles(query):
            response = client.get(f"{CHANGELIST}?{query}")
            return {d.title for d in response.context["cl"].result_list}

        assert titles("q=budget") == {"Budget 2026"}
        assert titles("category=reglement") == {"Règlement de copropriété"}
        assert titles("visibility=council") == {"Budget 2026"}
        assert titles(f"residence__id__exact={world.home.pk}") == {
            "Règlement de copropriété",
            "Budget 2026",
        }
        # The residence filter offers only residences in scope.
        response = client.get(CHANGELIST)
        names = response.content.decode()
        assert world.other.name not in names

    @pytest.mark.parametrize("count", [1, 25])
    def test_changelist_queries_stay_constant(
        self, world, client, django_assert_max_num_queries, count
    ):
        for n in range(count):
            add(world, title=f"Document {n}")
        _personal(world)
        login(client, world.user("staff"))
        # session, user, MFA device, residences in scope, the residence filter's
        # choices, counts (filtered and total), the page (residence and current
        # version joined), the date hierarchy (2); the side menu asks the policy
        # once per other permission and for managed syndics (API tokens): 18 today,
        # with room for the side menu to grow as other apps register their screens.
        with django_assert_max_num_queries(20):
            response = client.get(CHANGELIST)
        assert response.context["cl"].result_count == count


class TestApiTokens:
    def test_manager_creates_a_token_shown_once(self, world, client):
        login(client, world.user("manager"))
        page = client.get(TOKEN_ADD)
        assert page.status_code == 200
        assert list(page.context["form"].fields["syndic"].queryset) == [
            world.home.syndic
        ]
        response = client.post(
            TOKEN_ADD, {"name": "Logiciel comptable", "syndic": world.home.syndic_id}
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        full = response.context["full_token"]
        assert full.startswith("cop_")
        assert full in response.content.decode()
        token = ApiToken.objects.get()
        assert token.syndic == world.home.syndic
        assert token.created_by == world.user("manager")
        assert api.api_token_authenticate(full) == token
        # Never again: neither the list nor the token's page show the secret.
        secret = full.split("_", 2)[2]
        for url in (
            TOKENS,
            reverse("backoffice:documents_apitoken_change", args=[token.pk]),
        ):
            assert secret not in client.get(url).content.decode()

    def test_a_manager_cannot_create_for_another_syndic(self, world, client):
        login(client, world.user("manager"))
        response = client.post(
            TOKEN_ADD, {"name": "Intrus", "syndic": world.other.syndic_id}
        )
        assert response.status_code == 200
        assert "syndic" in response.context["form"].errors
        assert not ApiToken.objects.exists()

    def test_tokens_are_scoped_to_the_syndic(self, world, client):
        from residents.models import SyndicRole

        from ..factories import make_employee

        ours, _full = api.api_token_create(
            syndic=world.home.syndic, name="ERP", by=world.user("manager")
        )
        other_manager = make_employee(world.other.syndic, SyndicRole.MANAGER)
        theirs, _full = api.api_token_create(
            syndic=world.other.syndic, name="Autre", by=other_manager
        )
        login(client, other_manager)
        listed = client.get(TOKENS).context["cl"].result_list
        assert [t.pk for t in listed] == [theirs.pk]
        change = reverse("backoffice:documents_apitoken_change", args=[ours.pk])
        assert client.get(change).status_code == 302  # "does not exist"
        client.post(TOKENS, {"action": "revoke_tokens", "_selected_action": [ours.pk]})
        ours.refresh_from_db()
        assert ours.revoked_at is None

    def test_revoke_action(self, world, client):
        token, full = api.api_token_create(
            syndic=world.home.syndic, name="ERP", by=world.user("manager")
        )
        login(client, world.user("manager"))
        response = client.post(
            TOKENS, {"action": "revoke_tokens", "_selected_action": [token.pk]}
        )
        assert response.status_code == 302
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert api.api_token_authenticate(full) is None
