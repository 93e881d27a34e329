"""The syndic's works calls pages: list, entering works and their schedule, detail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import CallShare, Entry, FundCall, WorksCall
from finance.works_calls import Instalment, works_call_create
from residents.models import Lot, LotShare, Role, SyndicRole

from ..conftest import MATRIX_ARGS, login, matrix_cells
from ..factories import add_key, make_employee, make_member, make_residence, make_user

pytestmark = pytest.mark.django_db

D = Decimal
TOTAL = D("6000.00")


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    return login(client, user)


def _works(residence, label="Ravalement", total=TOTAL, by=None):
    return works_call_create(
        residence=residence,
        label=label,
        decided_on=date(2026, 6, 1),
        key=residence.allocation_keys.get(is_general=True),
        total=total,
        schedule=[
            Instalment(date(2026, 9, 1), total - D("1000.00")),
            Instalment(date(2027, 3, 1), D("1000.00")),
        ],
        by=by,
    )


@pytest.fixture
def works(world):
    return _works(world.home, by=world.user("manager"))


def _form(world, **extra):
    return {
        "label": "Ascenseur neuf",
        "decided_on": "2026-06-01",
        "key": world.home.allocation_keys.get(is_general=True).pk,
        "total": "9000.01",
        "mode": "equal",
        "count": "3",
        "first_due": "2026-12-01",
        "every": "3",
        "action": "issue",
        **extra,
    }


def _rows(rows, unit="amount"):
    data = {
        "mode": "custom",
        "unit": unit,
        "rows-TOTAL_FORMS": "12",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "12",
    }
    for n, (due_on, value) in enumerate(rows):
        data[f"rows-{n}-due_on"] = due_on
        data[f"rows-{n}-value"] = value
    return data


MANAGE = [302, 404, 403, 403, 403, 403, 200, 200, 404]
MANAGE_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
READ_ONLY_POST = [302, 404, 403, 403, 403, 403, 405, 405, 404]

VIEWS = [
    ("finance:works_calls", "get", lambda w, x: [w.home.slug], MANAGE),
    ("finance:works_calls", "post", lambda w, x: [w.home.slug], READ_ONLY_POST),
    ("finance:works_call_new", "get", lambda w, x: [w.home.slug], MANAGE),
    ("finance:works_call_new", "post", lambda w, x: [w.home.slug], MANAGE_POST),
    ("finance:works_call", "get", lambda w, x: [w.home.slug, x.pk], MANAGE),
    ("finance:works_call", "post", lambda w, x: [w.home.slug, x.pk], READ_ONLY_POST),
]


def _snapshot():
    return (
        list(WorksCall.objects.order_by("pk").values_list("label", "total")),
        FundCall.objects.count(),
        CallShare.objects.count(),
        Entry.objects.count(),
    )


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, works, as_persona, name, method, args, persona, expected):
    before = _snapshot()
    client = as_persona(persona)
    url = reverse(name, args=args(world, works))
    response = getattr(client, method)(url, _form(world))
    assert response.status_code == expected
    if (method == "post" and expected != 302) or persona == "anonymous":
        assert _snapshot() == before
    if (
        name == "finance:works_call_new"
        and method == "post"
        and persona != "anonymous"
        and expected == 302
    ):
        created = WorksCall.objects.get(label="Ascenseur neuf")
        assert response["Location"] == reverse(
            "finance:works_call", args=[world.home.slug, created.pk]
        )
        assert created.calls.count() == 3


def test_equal_instalments_are_issued_and_shown(world, client):
    english(client, world.user("staff"))
    response = client.post(
        reverse("finance:works_call_new", args=[world.home.slug]),
        _form(world),
        follow=True,
    )
    works = WorksCall.objects.get()
    assert works.created_by == world.user("staff")
    calls = list(works.calls.order_by("period"))
    assert [(c.due_on, c.total) for c in calls] == [
        (date(2026, 12, 1), D("3000.01")),
        (date(2027, 3, 1), D("3000.00")),
        (date(2027, 6, 1), D("3000.00")),
    ]
    assert response.context["called"] == D("9000.01")
    # Six lots of 100..600 tantièmes (2 100): lot 1 bears 1/21 of each instalment.
    lots = {row["lot__number"]: row["amount"] for row in response.context["lots"]}
    assert len(lots) == 6 and sum(lots.values()) == D("9000.01")
    # 3 000.01 and 3 000.00 over 100/2 100: 142.857… rounded down to 142.85, and
    # lot 1's remainder is among the largest each time: 3 × 142.86.
    assert lots[1] == D("428.58")
    assert response.context["lots_total"] == D("9000.01")
    page = response.content.decode()
    assert "are issued; the co-owners are notified" in page
    assert "The instalments add up to the total" in page
    for call in calls:
        assert reverse("finance:call_detail", args=[world.home.slug, call.pk]) in page


def test_custom_amounts_and_percentages(world, client):
    english(client, world.user("manager"))
    url = reverse("finance:works_call_new", args=[world.home.slug])
    data = _form(
        world,
        label="Toiture",
        total="1000.00",
        **_rows([("2026-09-01", "250.00"), ("2026-12-01", "750.00")]),
    )
    assert client.post(url, data).status_code == 302
    toit = WorksCall.objects.get(label="Toiture")
    assert list(toit.calls.order_by("period").values_list("total", flat=True)) == [
        D("250.00"),
        D("750.00"),
    ]
    data = _form(
        world,
        label="Portail",
        total="100.00",
        **_rows([("2026-09-01", "33.33"), ("2026-10-01", "66.67")], unit="percent"),
    )
    assert client.post(url, data).status_code == 302
    gate = WorksCall.objects.get(label="Portail")
    assert list(gate.calls.order_by("period").values_list("total", flat=True)) == [
        D("33.33"),
        D("66.67"),
    ]


def test_the_preview_shows_the_schedule_and_issues_nothing(world, client):
    english(client, world.user("manager"))
    response = client.post(
        reverse("finance:works_call_new", args=[world.home.slug]),
        _form(world, action="preview"),
    )
    assert response.status_code == 200
    assert response.context["plan"] == [
        (date(2026, 12, 1), D("3000.01")),
        (date(2027, 3, 1), D("3000.00")),
        (date(2027, 6, 1), D("3000.00")),
    ]
    assert response.context["plan_total"] == D("9000.01")
    assert response.context["bearers"] == {"lots": 6, "units": 2100}
    assert "Schedule preview" in response.content.decode()
    assert not WorksCall.objects.exists() and not FundCall.objects.exists()


@pytest.mark.parametrize(
    "data,message",
    [
        (
            _rows([("2026-09-01", "5000.00"), ("2026-12-01", "4000.00")]),
            "add up to 9000.00 €, not to the total of 9000.01 €",
        ),
        (
            _rows([("2026-09-01", "50"), ("2026-12-01", "40")], unit="percent"),
            "add up to 90 %, not 100 %",
        ),
        (_rows([("2026-09-01", "")]), "Give both the date and the amount."),
        (_rows([]), "Give at least one instalment."),
        ({"count": ""}, "Needed for equal instalments."),
        ({"decided_on": "2099-01-01"}, "cannot be in the future"),
        ({"total": "0"}, "greater than or equal to 0.01"),
    ],
)
def test_a_wrong_schedule_re_renders_and_issues_nothing(world, client, data, message):
    english(client, world.user("manager"))
    response = client.post(
        reverse("finance:works_call_new", args=[world.home.slug]),
        _form(world, **data),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Ascenseur neuf" in page  # what was typed is kept
    assert not WorksCall.objects.exists() and not Entry.objects.exists()


def test_another_residences_key_is_not_a_choice(world, client):
    english(client, world.user("manager"))
    other_key = world.other.allocation_keys.get(is_general=True)
    response = client.post(
        reverse("finance:works_call_new", args=[world.home.slug]),
        _form(world, key=other_key.pk),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["key"]
    assert not WorksCall.objects.exists()


def test_a_double_submit_issues_once(world, client, django_capture_on_commit_callbacks):
    english(client, world.user("manager"))
    url = reverse("finance:works_call_new", args=[world.home.slug])
    locations = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, _form(world))
        locations.append(response["Location"])
    assert locations[0] == locations[1]
    assert WorksCall.objects.count() == 1 and FundCall.objects.count() == 3
    # Owner (lots 1-2), council (3) and president (4): one entry per instalment.
    assert Entry.objects.count() == 3 * 3
    from notifications.models import Notification

    assert Notification.objects.filter(category="charges").count() == 3


def test_another_residences_works_are_not_found(world, client):
    elsewhere = _works(world.other)
    login(client, world.user("manager"))
    url = reverse("finance:works_call", args=[world.home.slug, elsewhere.pk])
    assert client.get(url).status_code == 404


def test_the_list_keeps_its_query_count(world, client, django_assert_max_num_queries):
    english(client, world.user("manager"))
    url = reverse("finance:works_calls", args=[world.home.slug])
    _works(world.home, label="Works 0")
    client.get(url)
    with django_assert_max_num_queries(10) as one:
        client.get(url)
    for n in range(1, 21):
        _works(world.home, label=f"Works {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["works"]) == 21
    first = response.context["works"][0]
    assert first.instalments == 2 and first.next_due is not None


def test_the_form_keeps_its_query_count(world, client, django_assert_max_num_queries):
    english(client, world.user("manager"))
    url = reverse("finance:works_call_new", args=[world.home.slug])
    client.get(url)
    with django_assert_max_num_queries(10) as one:
        client.get(url)
    for n in range(10):
        add_key(world.home, f"key-{n}", f"Key {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["form"].fields["key"].queryset) == 11


def _residence_with(lots: int):
    residence = make_residence(lots=0)
    general = residence.allocation_keys.get(is_general=True)
    for number in range(1, lots + 1):
        lot = Lot.objects.create(residence=residence, number=number)
        LotShare.objects.create(lot=lot, key=general, units=97 + number)
        make_member(residence, Role.OWNER, lots=[lot])
    return residence, _works(residence, total=D("100000.03"), by=make_user())


@pytest.mark.parametrize("lots", [4, 40])
def test_the_detail_page_keeps_its_query_count(
    db, client, django_assert_max_num_queries, lots
):
    residence, works = _residence_with(lots)
    english(client, make_employee(residence.syndic, SyndicRole.MANAGER))
    url = reverse("finance:works_call", args=[residence.slug, works.pk])
    client.get(url)
    # Session, user, MFA, residence, the header's residences and unread count (6);
    # the works with its counts, its calls, the lots' totals (3).
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert len(response.context["lots"]) == lots
    assert (
        response.context["lots_total"] == D("100000.03") == response.context["called"]
    )
