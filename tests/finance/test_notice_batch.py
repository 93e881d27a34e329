"""Every co-owner's notice of a call in one ZIP: the task that builds it, and the
syndic's views that ask for it and download it."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from finance import notice_batch, notices, services
from finance.models import Entry, EntryKind, FundCall
from residents.models import Lot, LotShare, Role, SyndicRole, User

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import add_key, make_employee, make_member, make_residence

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """ZIPs land in a private temporary MEDIA_ROOT, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def calls(world):
    """2027 in four calls, on the general key and the lift (lots 1 and 3), with a
    fonds de travaux: the owner (lots 1-2), council (3) and president (4) bear
    them."""
    general = world.home.allocation_keys.get(is_general=True)
    lift = add_key(world.home, "ascenseur", "Ascenseur")
    for lot in world.home.lots.filter(number__in=[1, 3]):
        LotShare.objects.create(lot=lot, key=lift, units=7)
    budget = services.budget_save(
        residence=world.home,
        year=2027,
        lines={general.pk: D("10000.01"), lift.pk: D("999.99")},
        works_fund=D("550.03"),
        by=world.user("manager"),
    )
    return services.budget_calls_issue(budget=budget, by=world.user("manager"))


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _zip(name: str) -> zipfile.ZipFile:
    with default_storage.open(name) as stored:
        return zipfile.ZipFile(io.BytesIO(stored.read()))


# --- The task ------------------------------------------------------------------------


def test_the_zip_holds_one_notice_per_co_owner_in_their_language(world, calls):
    User.objects.filter(
        pk__in=[world.user("owner").pk, world.user("president").pk]
    ).update(language="en")
    call = calls[0]
    name = notice_batch.render_call_notices(call.pk)
    assert name == f"private/finance/notices/{world.home.pk}/call-{call.pk}.zip"
    entries = Entry.objects.filter(call=call, kind=EntryKind.CALL).select_related(
        "account__owner"
    )
    archive = _zip(name)
    names = archive.namelist()
    assert len(names) == entries.count() == 3
    for entry in entries:
        reference = f"{world.home.slug}-{call.pk}-{entry.account_id}"
        mine = [n for n in names if reference in n]
        assert len(mine) == 1 and mine[0].endswith(".pdf")
        text = _pdf_text(archive.read(mine[0]))
        assert reference in text and call.label in text
        # 501.78 € in English, 501,78 € in French.
        amounts = [D(f"{e}.{c}") for e, c in re.findall(r"(\d+)[.,](\d{2}) €", text)]
        assert entry.amount in amounts  # the total due is the ledger's
        english = entry.account.owner.language == "en"
        assert ("Total due" in text) is english


def test_building_again_replaces_the_zip(world, calls, media):
    call = calls[1]
    first = notice_batch.render_call_notices(call.pk)
    again = notice_batch.render_call_notices(call.pk)
    assert again == first
    folder = media / "private" / "finance" / "notices" / str(world.home.pk)
    assert [p.name for p in folder.iterdir()] == [f"call-{call.pk}.zip"]
    assert len(_zip(again).namelist()) == 3


def test_the_batch_shows_what_each_notice_shows_on_demand(
    world, calls, django_assert_num_queries
):
    call = FundCall.objects.select_related("residence").get(pk=calls[2].pk)
    # entries with their accounts and owners, memberships + their lots, shares
    with django_assert_num_queries(4):
        contexts = notice_batch.notice_contexts(call)
    assert len(contexts) == 3
    for context in contexts:
        alone = notices.notice_context(call, context["account"])
        for key in alone.keys() - {"printed_at"}:
            assert context[key] == alone[key], key


def test_nothing_is_built_for_an_unknown_call_or_one_nobody_bears(world, media):
    assert notice_batch.render_call_notices(999_999) == ""
    residence = make_residence(lots=2)
    manager = make_employee(residence.syndic, SyndicRole.MANAGER)
    general = residence.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("100")},
        works_fund=D("0"),
        by=manager,
    )
    call = services.budget_calls_issue(budget=budget, by=manager)[0]
    assert notice_batch.render_call_notices(call.pk) == ""
    assert not default_storage.exists(notice_batch.zip_name(call))


# --- The views -----------------------------------------------------------------------

# anonymous outsider tenant owner council president staff manager other_staff
SYNDIC_GET = [302, 404, 403, 403, 403, 403, 200, 200, 404]
SYNDIC_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
NO_METHOD = [302, 404, 403, 403, 403, 403, 405, 405, 404]

VIEWS = [
    ("finance:call_notices_zip", "get", lambda c: c[0].pk, SYNDIC_GET),
    ("finance:call_notices_zip", "post", lambda c: c[0].pk, NO_METHOD),
    ("finance:call_notices_prepare", "post", lambda c: c[1].pk, SYNDIC_POST),
    ("finance:call_notices_prepare", "get", lambda c: c[1].pk, NO_METHOD),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(
    world,
    calls,
    as_persona,
    django_capture_on_commit_callbacks,
    name,
    method,
    args,
    persona,
    expected,
):
    notice_batch.render_call_notices(calls[0].pk)  # the first call's ZIP is ready
    client = as_persona(persona)
    url = reverse(name, args=[world.home.slug, args(calls)])
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(url)
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert len(archive.namelist()) == 3
    # Only the syndic's POST builds the second call's ZIP.
    built = default_storage.exists(notice_batch.zip_name(calls[1]))
    syndic = persona in ("staff", "manager")
    assert built is (
        name == "finance:call_notices_prepare" and method == "post" and syndic
    )


def test_asking_builds_the_zip_after_commit_then_the_page_links_to_it(
    world, calls, client, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=world.user("manager").pk).update(language="en")
    login(client, world.user("manager"))
    call = calls[3]
    download = reverse("finance:call_notices_zip", args=[world.home.slug, call.pk])
    response = client.get(download, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "finance:call_detail", args=[world.home.slug, call.pk]
    )
    assert "not ready" in response.content.decode()
    prepare = reverse("finance:call_notices_prepare", args=[world.home.slug, call.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(prepare, follow=True)
    assert "being prepared" in response.content.decode()
    assert not default_storage.exists(notice_batch.zip_name(call))  # not before commit
    for callback in callbacks:
        callback()
    response = client.get(download)
    assert response.status_code == 200
    assert f"-{call.pk}.zip" in response["Content-Disposition"]
    assert len(zipfile.ZipFile(io.BytesIO(response.getvalue())).namelist()) == 3


def test_a_call_nobody_bears_is_not_queued(
    world, client, django_capture_on_commit_callbacks
):
    # Another residence of the same syndic, whose lots have no co-owner yet.
    residence = make_residence(syndic=world.home.syndic, lots=2)
    general = residence.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("100")},
        works_fund=D("0"),
        by=world.user("manager"),
    )
    call = services.budget_calls_issue(budget=budget, by=world.user("manager"))[0]
    assert not Entry.objects.filter(call=call).exists()
    login(client, world.user("manager"))
    url = reverse("finance:call_notices_prepare", args=[residence.slug, call.pk])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url)
    assert response.status_code == 302 and not callbacks
    assert not default_storage.exists(notice_batch.zip_name(call))


def test_another_residences_call_is_not_found(world, client):
    key = world.other.allocation_keys.get(is_general=True)
    budget = services.budget_save(
        residence=world.other,
        year=2027,
        lines={key.pk: D("100")},
        works_fund=D("0"),
        by=world.user("other_staff"),
    )
    call = services.budget_calls_issue(budget=budget, by=world.user("other_staff"))[0]
    notice_batch.render_call_notices(call.pk)
    login(client, world.user("manager"))
    for name, method in [
        ("finance:call_notices_zip", "get"),
        ("finance:call_notices_prepare", "post"),
    ]:
        url = reverse(name, args=[world.home.slug, call.pk])
        assert getattr(client, method)(url).status_code == 404


def _residence_with(lots: int):
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    for number in range(1, lots + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=90 + number)
        make_member(residence, Role.OWNER, lots=[lot])
    manager = make_employee(residence.syndic, SyndicRole.MANAGER)
    budget = services.budget_save(
        residence=residence,
        year=2027,
        lines={general.pk: D("24000.00")},
        works_fund=D("1200.00"),
        by=manager,
    )
    return residence, manager, services.budget_calls_issue(budget=budget, by=manager)


@pytest.mark.parametrize("lots", [1, 8])
def test_the_views_keep_their_query_counts(client, django_assert_num_queries, lots):
    residence, manager, calls = _residence_with(lots)
    notice_batch.render_call_notices(calls[0].pk)
    login(client, manager)
    download = reverse("finance:call_notices_zip", args=[residence.slug, calls[0].pk])
    client.get(download)  # warm the session
    # session, user, the user's MFA, standing (residence + role in one), the call
    with django_assert_num_queries(5):
        response = client.get(download)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == lots
    prepare = reverse(
        "finance:call_notices_prepare", args=[residence.slug, calls[1].pk]
    )
    # the same five, and whether anybody bears the call
    with django_assert_num_queries(6):
        assert client.post(prepare).status_code == 302
