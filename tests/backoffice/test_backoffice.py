"""The back office: allauth sign-in with MFA, scoped to the staff member's syndic."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from residents.models import (
    Invitation,
    Lot,
    Membership,
    MembershipStatus,
    Residence,
    Role,
)

from ..conftest import PERSONAS, give_mfa, login
from ..factories import make_member

pytestmark = pytest.mark.django_db

INDEX = reverse("backoffice:index")


# anonymous outsider tenant owner council president staff manager other_staff
INDEX_ROW = [302, 302, 302, 302, 302, 302, 200, 200, 200]


@pytest.mark.parametrize(
    ("persona", "expected"), list(zip(PERSONAS, INDEX_ROW, strict=True))
)
def test_index_is_for_staff_only(world, as_persona, persona, expected):
    response = as_persona(persona).get(INDEX)
    assert response.status_code == expected


# Non-staff are sent to the (allauth) login by the admin; staff of the wrong syndic
# find nothing (404). Any syndic's staff may create a residence for their syndic.
PROCESS_ROWS = {
    "residence_create": [302, 302, 302, 302, 302, 302, 200, 200, 200],
    "lot_import": [302, 302, 302, 302, 302, 302, 200, 200, 404],
    "residents_membership_changelist": [302, 302, 302, 302, 302, 302, 200, 200, 200],
}


@pytest.mark.parametrize(
    ("view", "persona", "expected"),
    [
        (view, persona, row[i])
        for view, row in PROCESS_ROWS.items()
        for i, persona in enumerate(PERSONAS)
    ],
)
def test_process_screens_matrix(world, as_persona, view, persona, expected):
    args = [world.home.pk] if view == "lot_import" else []
    response = as_persona(persona).get(reverse(f"backoffice:{view}", args=args))
    assert response.status_code == expected
    if view == "residents_membership_changelist" and persona == "other_staff":
        shown = {m.residence_id for m in response.context["cl"].result_list}
        assert shown == {world.other.pk}  # nothing of the home residence


def test_admin_login_page_hands_over_to_allauth(client):
    response = client.get(reverse("backoffice:login") + "?next=/backoffice/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_staff_without_mfa_is_sent_to_set_it_up(world, client):
    staff = world.user("staff")
    client.force_login(staff)
    for url in (INDEX, reverse("residents:dashboard", args=[world.home.slug])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")
    # MFA set-up itself stays reachable (allauth first asks for the password again).
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert client.get(response.url).status_code == 200


def test_staff_with_mfa_but_no_second_step_this_session_must_reauthenticate(
    world, client
):
    staff = world.user("staff")
    give_mfa(staff)
    client.force_login(staff)  # a session without the MFA step
    response = client.get(INDEX, follow=False)
    assert response.status_code == 302
    follow = client.get(response.url)
    assert follow.status_code == 302
    assert follow.url.startswith(reverse("mfa_reauthenticate"))


def test_mfa_requirement_is_a_setting(world, client, settings):
    settings.COPRO_STAFF_MFA_REQUIRED = False
    login(client, world.user("staff"), mfa=False)
    assert client.get(INDEX).status_code == 200


def test_staff_see_only_their_syndics_residences(world, as_persona):
    client = as_persona("staff")
    response = client.get(reverse("backoffice:residents_residence_changelist"))
    assert response.status_code == 200
    names = [r.name for r in response.context["cl"].result_list]
    assert names == [world.home.name]
    other = reverse("backoffice:residents_residence_change", args=[world.other.pk])
    assert client.get(other).status_code == 302  # "does not exist" → index
    lot = world.other.lots.first()
    assert (
        client.get(
            reverse("backoffice:residents_lot_change", args=[lot.pk])
        ).status_code
        == 302
    )


def test_staff_cannot_edit_another_syndics_membership(world, as_persona):
    foreign = make_member(world.other, Role.OWNER, status=MembershipStatus.PENDING)
    client = as_persona("staff")
    url = reverse("backoffice:residents_membership_change", args=[foreign.pk])
    response = client.post(url, {"role": Role.COUNCIL_MEMBER, "lots": []})
    assert response.status_code == 302
    foreign.refresh_from_db()
    assert foreign.role == Role.OWNER


def test_platform_admin_sees_everything(world, client, admin_user):
    login(client, admin_user)
    response = client.get(reverse("backoffice:residents_residence_changelist"))
    assert {r.name for r in response.context["cl"].result_list} == {
        world.home.name,
        world.other.name,
    }


def test_accept_action_and_history(world, as_persona):
    pending = make_member(world.home, Role.TENANT, status=MembershipStatus.PENDING)
    foreign = make_member(world.other, Role.TENANT, status=MembershipStatus.PENDING)
    client = as_persona("staff")
    changelist = reverse("backoffice:residents_membership_changelist")
    response = client.post(
        changelist,
        {"action": "accept_requests", "_selected_action": [pending.pk, foreign.pk]},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    foreign.refresh_from_db()
    assert pending.status == MembershipStatus.ACTIVE
    assert foreign.status == MembershipStatus.PENDING  # out of scope: untouched
    history = reverse("backoffice:residents_membership_history", args=[pending.pk])
    assert client.get(history).status_code == 200


def test_block_action(world, as_persona):
    owner = Membership.objects.get(user=world.user("owner"))
    client = as_persona("manager")
    client.post(
        reverse("backoffice:residents_membership_changelist"),
        {"action": "block_members", "_selected_action": [owner.pk]},
    )
    owner.refresh_from_db()
    assert owner.status == MembershipStatus.BLOCKED


def test_membership_changelist_query_count_is_constant(
    world, as_persona, django_assert_max_num_queries
):
    client = as_persona("staff")
    url = reverse("backoffice:residents_membership_changelist")
    # The sidebar asks the policy once per permission the registered admins use
    # (members, news, directory, works, albums, documents, tickets, finance…): a
    # fixed number, whatever the rows.
    with django_assert_max_num_queries(17):
        client.get(url)
    for _ in range(20):
        make_member(world.home, Role.OWNER, lots=[world.home.lots.first()])
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200


class TestResidenceCreation:
    URL = reverse("backoffice:residence_create")

    def test_manager_creates_residence_with_lots_and_president_invitation(
        self, world, as_persona, mailoutbox, django_capture_on_commit_callbacks
    ):
        client = as_persona("manager")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                self.URL,
                {
                    "name": "Les Acacias",
                    "address": "3 rue Neuve",
                    "postal_code": "75001",
                    "city": "Paris",
                    "lot_count": 12,
                    "president_email": "chair@example.org",
                    "syndic": world.home.syndic.pk,
                },
            )
        residence = Residence.objects.get(name="Les Acacias")
        assert response.status_code == 302
        assert response.url == reverse("backoffice:lot_import", args=[residence.pk])
        assert residence.syndic == world.home.syndic
        assert residence.lots.count() == 12
        assert residence.allocation_keys.get().is_general
        invitation = Invitation.objects.get(residence=residence)
        assert invitation.role == Role.COUNCIL_PRESIDENT
        assert mailoutbox[0].to == ["chair@example.org"]

    def test_cannot_create_for_another_syndic(self, world, as_persona):
        client = as_persona("manager")
        response = client.post(
            self.URL,
            {
                "name": "X",
                "address": "Y",
                "lot_count": 1,
                "syndic": world.other.syndic.pk,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors["syndic"]
        assert not Residence.objects.filter(name="X").exists()

    def test_staff_only_see_their_own_syndic(self, world, as_persona):
        response = as_persona("staff").get(self.URL)
        assert list(response.context["form"].fields["syndic"].queryset) == [
            world.home.syndic
        ]

    def test_a_staff_member_without_a_syndic_gets_403(self, client):
        from ..factories import make_user

        lone = make_user(is_staff=True)
        login(client, lone)
        assert client.get(self.URL).status_code == 403


class TestLotImportScreen:
    CSV = b"number,kind,generales\n7,parking,15\n8,cave,5\n"

    def url(self, residence):
        return reverse("backoffice:lot_import", args=[residence.pk])

    def test_preview_then_confirm(self, world, as_persona):
        client = as_persona("staff")
        upload = SimpleUploadedFile("lots.csv", self.CSV, content_type="text/csv")
        response = client.post(self.url(world.home), {"file": upload})
        assert response.status_code == 200
        assert response.context["plan"].ok
        assert not Lot.objects.filter(residence=world.home, number=7).exists()
        response = client.post(self.url(world.home), {"confirm": "1"})
        assert response.status_code == 302
        assert Lot.objects.get(residence=world.home, number=7).kind == "parking"

    def test_errors_shown_line_by_line(self, world, as_persona):
        client = as_persona("staff")
        upload = SimpleUploadedFile("lots.csv", b"number,generales\nabc,1\n")
        response = client.post(self.url(world.home), {"file": upload})
        assert response.context["plan"].errors[0][0] == 2
        assert "number" in response.content.decode()
        client.post(self.url(world.home), {"confirm": "1"})
        assert world.home.lots.count() == 6

    def test_binary_or_wrong_name_refused(self, world, as_persona):
        client = as_persona("staff")
        for name, data in (
            ("lots.csv", b"\x89PNG\x00\x00"),
            ("lots.exe", b"number\n1\n"),
        ):
            upload = SimpleUploadedFile(name, data)
            response = client.post(self.url(world.home), {"file": upload})
            assert response.context["form"].errors["file"]

    def test_other_syndics_residence_is_404(self, world, as_persona):
        assert as_persona("staff").get(self.url(world.other)).status_code == 404


def test_staff_see_only_people_of_their_residences(world, as_persona):
    client = as_persona("staff")
    response = client.get(reverse("backoffice:residents_user_changelist"))
    shown = set(response.context["cl"].result_list)
    assert world.user("owner") in shown
    assert world.user("outsider") not in shown
    outsider = reverse(
        "backoffice:residents_user_change", args=[world.user("outsider").pk]
    )
    assert client.get(outsider).status_code == 302  # "does not exist" → index
    employee = world.home.syndic.employees.first()
    url = reverse("backoffice:residents_syndicemployee_change", args=[employee.pk])
    assert client.get(url).status_code == 403
