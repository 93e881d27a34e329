"""Category follows: each member picks categories; followers who may see a new or
updated document are notified, through the notification system, and nobody else."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from copro.lib.uploads import clean_document
from documents import follows, selectors, services
from documents.categories import Category
from documents.models import CategoryFollow, Document, Visibility
from notifications.models import Notification
from residents.access import standing
from residents.models import Category as NotificationCategory
from residents.models import Membership, MembershipStatus, Role

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import make_member
from .test_library import _media, add, pdf_bytes  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

PERSONAS_IN = ("tenant", "owner", "council", "president", "staff", "manager")

# anonymous outsider tenant owner council president staff manager other_staff
GET_ROW = [302, 404, 200, 200, 200, 200, 200, 200, 404]
POST_ROW = [302, 404, 302, 302, 302, 302, 302, 302, 404]

VIEWS = [
    ("documents:follows", "get", lambda w: [w.home.slug], GET_ROW),
    ("documents:follows", "post", lambda w: [w.home.slug], POST_ROW),
]


def _url(world) -> str:
    return reverse("documents:follows", args=[world.home.slug])


def _follow(world, persona: str, *categories: str) -> None:
    for category in categories:
        follows.category_follow(
            user=world.user(persona), residence=world.home, category=category
        )


def _notified(category: str = NotificationCategory.DOCUMENTS) -> dict[int, list]:
    found: dict[int, list] = {}
    for notification in Notification.objects.filter(category=category):
        found.setdefault(notification.recipient_id, []).append(notification)
    return found


def _ids(world, *personas: str) -> set[int]:
    return {world.user(p).pk for p in personas}


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    client = as_persona(persona)
    response = getattr(client, method)(
        reverse(name, args=args(world)), {"categories": [Category.MINUTES]}
    )
    assert response.status_code == expected
    if method == "post":
        followed = set(CategoryFollow.objects.values_list("user_id", "category"))
        if expected == 302 and persona != "anonymous":
            assert followed == {(world.user(persona).pk, Category.MINUTES)}
        else:
            assert followed == set()  # a denied write changes nothing


class TestFollowsPage:
    def test_tick_and_untick(self, world, client):
        login(client, world.user("owner"))
        response = client.post(
            _url(world), {"categories": [Category.MINUTES, Category.OWNER_ACCOUNT]}
        )
        assert response.status_code == 302
        assert response.url == _url(world)
        mine = CategoryFollow.objects.filter(user=world.user("owner"))
        assert set(mine.values_list("category", flat=True)) == {
            Category.MINUTES,
            Category.OWNER_ACCOUNT,
        }
        page = client.get(_url(world))
        assert page.context["selected"] == {Category.MINUTES, Category.OWNER_ACCOUNT}
        html = page.content.decode()
        assert 'id="follow-minutes" checked' in html
        assert 'id="follow-budget">' in html  # not ticked
        client.post(_url(world), {"categories": [Category.OWNER_ACCOUNT]})
        assert set(mine.values_list("category", flat=True)) == {Category.OWNER_ACCOUNT}
        client.post(_url(world), {})
        assert not mine.exists()

    def test_follows_are_per_residence(self, world, client):
        other_home = make_member(
            world.other, Role.OWNER, user=world.user("owner")
        ).residence
        follows.category_follow(
            user=world.user("owner"), residence=other_home, category=Category.BUDGET
        )
        login(client, world.user("owner"))
        client.post(_url(world), {"categories": [Category.MINUTES]})
        assert set(
            CategoryFollow.objects.filter(user=world.user("owner")).values_list(
                "residence_id", "category"
            )
        ) == {(world.other.pk, Category.BUDGET), (world.home.pk, Category.MINUTES)}

    @pytest.mark.parametrize(
        ("persona", "offered"),
        [("tenant", False), ("owner", False), ("council", True), ("staff", True)],
    )
    def test_council_categories_only_for_council_and_syndic(
        self, world, client, persona, offered
    ):
        login(client, world.user(persona))
        html = client.get(_url(world)).content.decode()
        assert ('value="bank_statements"' in html) == offered
        assert 'value="owner_account"' in html  # named for them: still useful
        assert 'value="minutes"' in html

    def test_a_category_not_offered_is_refused_with_what_was_typed(self, world, client):
        login(client, world.user("owner"))
        response = client.post(
            _url(world), {"categories": [Category.MINUTES, Category.BANK_STATEMENTS]}
        )
        assert response.status_code == 200
        assert "categories" in response.context["form"].errors
        assert response.context["selected"] == {
            Category.MINUTES,
            Category.BANK_STATEMENTS,
        }
        assert 'id="follow-minutes" checked' in response.content.decode()
        assert not CategoryFollow.objects.exists()

    def test_hidden_follows_survive_a_save(self, world, client):
        """A council member who became an owner keeps (harmless) follows the page no
        longer offers; saving the page does not touch them."""
        _follow(world, "owner", Category.BANK_STATEMENTS)
        login(client, world.user("owner"))
        client.post(_url(world), {"categories": [Category.BUDGET]})
        assert set(
            CategoryFollow.objects.filter(user=world.user("owner")).values_list(
                "category", flat=True
            )
        ) == {Category.BANK_STATEMENTS, Category.BUDGET}

    def test_services_refuse_an_unknown_category(self, world):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            follows.category_follows_set(
                user=world.user("owner"), residence=world.home, categories=["nope"]
            )
        assert not CategoryFollow.objects.exists()

    @pytest.mark.parametrize("count", [1, 25])
    def test_page_queries_stay_constant(
        self, world, client, django_assert_max_num_queries, count
    ):
        _follow(world, "owner", *Category.values[:count])
        login(client, world.user("owner"))
        # session, user, standing, followed categories, the residence switcher,
        # the unread badge; the session saves the last residence (3 with savepoints)
        with django_assert_max_num_queries(9):
            response = client.get(_url(world))
        assert response.status_code == 200
        assert len(response.context["selected"]) == count


class TestNotifications:
    def test_followers_hear_of_a_new_document(
        self, world, django_capture_on_commit_callbacks
    ):
        _follow(world, "tenant", Category.MINUTES)
        _follow(world, "owner", Category.MINUTES)
        _follow(world, "staff", Category.MINUTES)
        _follow(world, "manager", Category.MINUTES)  # the uploader
        _follow(world, "council", Category.BUDGET)  # another category
        world.user("owner").language = "en"
        world.user("owner").save(update_fields=["language"])
        with django_capture_on_commit_callbacks(execute=True):
            document = add(
                world,
                title="PV AG 2026",
                category=Category.MINUTES,
                visibility=Visibility.EVERYONE,
            )
        notified = _notified()
        assert set(notified) == _ids(world, "tenant", "owner", "staff")
        notification = notified[world.user("owner").pk][0]
        assert notification.title == "Les Tilleuls: new document “PV AG 2026”"
        assert "General assembly minutes" in notification.body
        # Each recipient reads the category in their own language (here French).
        in_french = notified[world.user("tenant").pk][0]
        assert "Procès-verbaux d'AG" in in_french.body
        assert notification.url == document.get_absolute_url()
        assert notification.residence_id == world.home.pk

    def test_one_event_for_all_followers(
        self, world, django_capture_on_commit_callbacks
    ):
        _follow(world, "tenant", Category.MINUTES)
        _follow(world, "owner", Category.MINUTES)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            add(world, category=Category.MINUTES, visibility=Visibility.EVERYONE)
        # the PDF text extraction, the search refresh… and one fan-out
        with django_capture_on_commit_callbacks(execute=True):
            for callback in callbacks:
                callback()
        assert Notification.objects.values("event").distinct().count() == 1

    @pytest.mark.parametrize(
        ("visibility", "reached"),
        [
            (Visibility.EVERYONE, {"tenant", "owner", "council", "staff"}),
            (Visibility.OWNERS, {"owner", "council", "staff"}),
            (Visibility.COUNCIL, {"council", "staff"}),
        ],
    )
    def test_only_followers_who_may_see_it(
        self, world, django_capture_on_commit_callbacks, visibility, reached
    ):
        for persona in ("tenant", "owner", "council", "staff", "outsider"):
            _follow(world, persona, Category.CONTRACTS)
        with django_capture_on_commit_callbacks(execute=True):
            add(world, category=Category.CONTRACTS, visibility=visibility)
        assert set(_notified()) == _ids(world, *reached)

    def test_named_documents_reach_only_the_named_followers(
        self, world, django_capture_on_commit_callbacks
    ):
        for persona in ("tenant", "owner", "council", "president", "staff"):
            _follow(world, persona, Category.OWNER_ACCOUNT)
        first_lot = world.home.lots.order_by("number").first()  # tenant's and owner's
        with django_capture_on_commit_callbacks(execute=True):
            add(
                world,
                title="Relevé",
                category=Category.OWNER_ACCOUNT,
                visibility=Visibility.NAMED,
                lots=[first_lot],
            )
        assert set(_notified()) == _ids(world, "tenant", "owner", "staff")

    def test_a_new_version_notifies_followers_but_not_its_uploader(
        self, world, client, django_capture_on_commit_callbacks
    ):
        document = add(world, category=Category.MINUTES, visibility=Visibility.OWNERS)
        _follow(world, "owner", Category.MINUTES)
        _follow(world, "council", Category.MINUTES)
        login(client, world.user("council"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("documents:add_version", args=[world.home.slug, document.pk]),
                {
                    "file": SimpleUploadedFile("v2.pdf", pdf_bytes("v2")),
                    "note": "Signatures ajoutées",
                },
            )
        assert response.status_code == 302
        notified = _notified()
        assert set(notified) == _ids(world, "owner")
        notification = notified[world.user("owner").pk][0]
        assert notification.title == "Les Tilleuls : nouvelle version de « Règlement »"
        assert "La version 2" in notification.body
        assert "Signatures ajoutées" in notification.body

    def test_metadata_edits_and_archiving_notify_nobody(
        self, world, django_capture_on_commit_callbacks
    ):
        document = add(world, category=Category.MINUTES)
        _follow(world, "owner", Category.MINUTES)
        with django_capture_on_commit_callbacks(execute=True):
            services.document_update(document=document, title="Nouveau titre")
            services.document_archive(document=document)
        assert not Notification.objects.exists()

    def test_personal_documents_are_never_announced(
        self, world, django_capture_on_commit_callbacks
    ):
        owner = world.user("owner")
        for persona in ("owner", "staff", "manager"):
            _follow(world, persona, Category.OTHER)
        with django_capture_on_commit_callbacks(execute=True):
            document = services.personal_document_add(
                residence=world.home,
                owner=owner,
                upload=clean_document(SimpleUploadedFile("bail.pdf", pdf_bytes("b"))),
            )
            follows.notify_followers(document=document, new=True)
        assert not Notification.objects.exists()
        assert list(follows.readers_of(document)) == []

    def test_members_who_left_hear_nothing(
        self, world, django_capture_on_commit_callbacks
    ):
        _follow(world, "owner", Category.MINUTES)
        _follow(world, "tenant", Category.MINUTES)
        Membership.objects.filter(user=world.user("tenant")).update(
            status=MembershipStatus.LEFT
        )
        with django_capture_on_commit_callbacks(execute=True):
            add(world, category=Category.MINUTES, visibility=Visibility.EVERYONE)
        assert set(_notified()) == _ids(world, "owner")

    @pytest.mark.parametrize("followers", [1, 25])
    def test_queries_stay_constant(self, world, django_assert_num_queries, followers):
        document = add(world, category=Category.MINUTES, visibility=Visibility.OWNERS)
        _follow(world, "owner", Category.MINUTES)
        for _n in range(followers - 1):
            member = make_member(world.home, Role.OWNER)
            CategoryFollow.objects.create(
                user=member.user, residence=world.home, category=Category.MINUTES
            )
        fresh = Document.objects.get(pk=document.pk)
        # the residence, the current version, then the followers who may see it
        # (one query, the audience as a subquery); notify() waits for the commit
        with django_assert_num_queries(3):
            follows.notify_followers(document=fresh, new=False)
        assert len(follows.followers_to_notify(fresh, uploader_id=None)) == followers


@pytest.mark.parametrize(
    ("visibility", "named"),
    [
        (Visibility.EVERYONE, {}),
        (Visibility.OWNERS, {}),
        (Visibility.COUNCIL, {}),
        (Visibility.NAMED, {"members": ["president"]}),
        (Visibility.NAMED, {"lots": [0]}),
        (Visibility.NAMED, {"lots": [2], "members": ["tenant"]}),
    ],
)
def test_readers_agree_with_the_library(world, visibility, named):
    """`readers_of` (who may open this document?) and the library's own filter
    (what may this person open?) give the same answer for every persona."""
    lots = list(world.home.lots.order_by("number"))
    document = add(
        world,
        visibility=visibility,
        members=[world.user(p) for p in named.get("members", [])],
        lots=[lots[i] for i in named.get("lots", [])],
    )
    blocked = make_member(world.home, Role.OWNER, status=MembershipStatus.BLOCKED)
    readers = set(follows.readers_of(document))
    for persona in (*PERSONAS_IN, "outsider", "other_staff"):
        user = world.user(persona)
        found = standing(user, world.home.slug)
        may_open = (
            found is not None and selectors.document_for(found, document.pk) is not None
        )
        assert (user.pk in readers) == may_open, persona
    assert blocked.user_id not in readers
