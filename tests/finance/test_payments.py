"""Online payment: Stripe Checkout faked at its HTTP layer, webhooks signed as
Stripe signs them; the ledger gets one entry per payment whatever Stripe sends."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import stripe
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from finance import payments, services
from finance.models import (
    CallKind,
    Entry,
    EntryKind,
    FundCall,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)
from finance.selectors import balance
from notifications.models import Notification

from ..conftest import MATRIX_ARGS, login, matrix_cells
from .stripe_fake import SECRET, FakeStripeHTTP
from .stripe_fake import sign as _sign

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _english(english):
    """These tests read the English wording (see `english`)."""


@pytest.fixture
def fake_stripe(monkeypatch, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.SITE_URL = "https://copro.example"
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe, "default_http_client", fake)
    return fake


def _call(world, owner, amount, due_on, label="Provision 1/4 2027"):
    account = services.account_for(world.home, owner.pk)
    call = FundCall.objects.create(
        residence=world.home,
        kind=CallKind.PROVISION,
        label=label,
        due_on=due_on,
        total=amount,
    )
    services.entry_post(
        account=account,
        kind=EntryKind.CALL,
        amount=amount,
        label=label,
        due_on=due_on,
        call=call,
    )
    return account, call


@pytest.fixture
def owed(world):
    """The owner owes two calls (825 € due, 825 € upcoming); the council member
    has an account too; the president has none."""
    owner = world.user("owner")
    account, first = _call(world, owner, D("825.00"), date(2026, 1, 1))
    _account, second = _call(
        world, owner, D("825.00"), date(2027, 4, 1), "Provision 2/4 2027"
    )
    _call(world, world.user("council"), D("300.00"), date(2026, 1, 1))
    return account, first, second


def _event(payment, kind="checkout.session.completed", event_id="evt_1", **session):
    obj = {
        "id": payment.stripe_session_id,
        "object": "checkout.session",
        "client_reference_id": str(payment.pk),
        "metadata": {"payment_id": str(payment.pk)},
        "amount_total": int(payment.amount * 100),
        "currency": "eur",
        "payment_intent": "pi_test_1",
        "payment_status": "paid",
    }
    obj.update(session)
    return json.dumps(
        {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    )


def _deliver(client, payload, signature=None):
    return client.post(
        reverse("finance:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_sign(payload) if signature is None else signature,
    )


def _checkout(client, world, **data):
    return client.post(
        reverse("finance:pay", args=[world.home.slug]), data or {"what": "whole"}
    )


# --------------------------------------------------------------- role matrix

PAGE = [302, 404, 403, 200, 200, 404, 403, 403, 404]
CHECKOUT = [302, 404, 403, 303, 303, 404, 403, 403, 404]
DONE = [302, 404, 403, 200, 404, 404, 403, 403, 404]

VIEWS = [
    ("finance:pay", "get", lambda w, p: [w.home.slug], PAGE),
    ("finance:pay", "post", lambda w, p: [w.home.slug], CHECKOUT),
    ("finance:pay_done", "get", lambda w, p: [w.home.slug, p.pk], DONE),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(
    world, owed, fake_stripe, as_persona, name, method, args, persona, expected
):
    """Only co-owners holding an account pay (the president has none: 404);
    a payment page is its payer's only."""
    account = owed[0]
    payment = Payment.objects.create(
        account=account,
        amount=D("10.00"),
        minute=timezone.now() - timedelta(days=1),
        stripe_session_id="cs_existing",
    )
    client = as_persona(persona)
    response = getattr(client, method)(
        reverse(name, args=args(world, payment)), {"what": "whole"}
    )
    assert response.status_code == expected
    if method == "post" and expected != 303:
        assert Payment.objects.count() == 1
        assert fake_stripe.calls == []
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING


def test_webhook_is_post_only_and_anonymous(client, fake_stripe):
    url = reverse("finance:stripe_webhook")
    assert client.get(url).status_code == 405
    assert (
        _deliver(client, json.dumps({"id": "evt_x", "type": "ping"})).status_code == 200
    )


# ------------------------------------------------------------------- checkout


def test_checkout_creates_one_pending_payment_and_redirects(
    world, owed, fake_stripe, client
):
    account, first, second = owed
    login(client, world.user("owner"))
    response = _checkout(client, world)
    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == D("1650.00")
    assert payment.stripe_session_id == "cs_test_1"
    assert set(payment.calls.all()) == {first, second}
    assert not Entry.objects.filter(kind=EntryKind.PAYMENT).exists()
    # What Stripe was asked for.
    [(method, url, headers, form)] = fake_stripe.calls
    assert form["mode"] == ["payment"]
    assert form["payment_method_types[0]"] == ["card"]
    assert form["payment_method_types[1]"] == ["sepa_debit"]
    assert form["line_items[0][price_data][currency]"] == ["eur"]
    assert form["line_items[0][price_data][unit_amount]"] == ["165000"]
    assert form["metadata[payment_id]"] == [str(payment.pk)]
    assert form["client_reference_id"] == [str(payment.pk)]
    done = reverse("finance:pay_done", args=[world.home.slug, payment.pk])
    assert form["success_url"] == [f"https://copro.example{done}"]
    assert form["cancel_url"][0].startswith("https://copro.example/r/")
    assert headers["Idempotency-Key"] == f"payment-{payment.pk}"
    assert headers["Authorization"] == "Bearer sk_test_fake"


def test_a_double_click_makes_one_payment(world, owed, fake_stripe, client):
    login(client, world.user("owner"))
    first = _checkout(client, world)
    again = _checkout(client, world)
    assert again.status_code == 303
    assert again["Location"] == first["Location"]
    assert Payment.objects.count() == 1
    assert len(fake_stripe.calls) == 1


def test_chosen_calls_only(world, owed, fake_stripe, client):
    account, first, second = owed
    login(client, world.user("owner"))
    response = _checkout(client, world, what="calls", calls=[str(second.pk)])
    assert response.status_code == 303
    payment = Payment.objects.get()
    assert payment.amount == D("825.00")
    assert list(payment.calls.all()) == [second]


def test_bad_choices_rerender_and_save_nothing(world, owed, fake_stripe, client):
    account, first, second = owed
    login(client, world.user("owner"))
    response = _checkout(client, world, what="calls")
    assert response.status_code == 200
    assert "Choose the calls to pay" in response.content.decode()
    assert response.context["whole"] is False
    # Another residence's call or a made-up id is not payable.
    other = FundCall.objects.create(
        residence=world.other,
        kind=CallKind.WORKS,
        label="x",
        due_on=date(2026, 1, 1),
        total=D("9"),
    )
    response = _checkout(client, world, what="calls", calls=[str(other.pk), "999999"])
    assert response.status_code == 200
    assert response.context["chosen"] == [other.pk, 999999]
    assert not Payment.objects.exists()
    assert fake_stripe.calls == []


def test_nothing_to_pay(world, fake_stripe, client):
    services.account_for(world.home, world.user("owner").pk)
    login(client, world.user("owner"))
    page = client.get(reverse("finance:pay", args=[world.home.slug]))
    assert "nothing to pay" in page.content.decode()
    response = _checkout(client, world)
    assert response.status_code == 200
    assert not Payment.objects.exists()


def test_stripe_down_leaves_nothing(world, owed, fake_stripe, client):
    fake_stripe.fail = True
    login(client, world.user("owner"))
    response = _checkout(client, world)
    assert response.status_code == 200
    assert "unavailable" in response.content.decode()
    assert not Payment.objects.exists()


def test_paid_calls_are_no_longer_offered(world, owed):
    account, first, second = owed
    services.entry_post(
        account=account, kind=EntryKind.PAYMENT, amount=D("-900.00"), label="Virement"
    )
    dues = payments.unpaid_calls(account)
    assert [(d.call, d.amount) for d in dues] == [(second, D("750.00"))]


# -------------------------------------------------------------------- webhook


@pytest.fixture
def pending(world, owed, fake_stripe, client):
    login(client, world.user("owner"))
    _checkout(client, world)
    client.logout()
    return Payment.objects.get()


def _payments_posted():
    return Entry.objects.filter(kind=EntryKind.PAYMENT)


def test_completed_posts_once_and_updates_the_balance(
    world, owed, pending, client, django_capture_on_commit_callbacks
):
    account = owed[0]
    assert balance(account)["total"] == D("1650.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(client, _event(pending))
    assert response.status_code == 200
    entry = _payments_posted().get()
    assert entry.amount == D("-1650.00")
    assert entry.source_ref == "stripe:pi_test_1"
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert pending.succeeded_at is not None
    assert balance(account)["total"] == D("0.00")
    event = StripeEvent.objects.get()
    assert event.processed_at is not None
    note = Notification.objects.get(recipient=world.user("owner"))
    assert "1650.00" in note.title


def test_forged_signature_is_refused_and_nothing_posted(pending, client):
    payload = _event(pending)
    for signature in (_sign(payload, "whsec_wrong"), "t=1,v1=00", ""):
        assert _deliver(client, payload, signature).status_code == 400
    # A payload changed after signing.
    signature = _sign(payload)
    tampered = payload.replace("1650", "1")
    assert _deliver(client, tampered, signature).status_code == 400
    # A replay of a signature older than Stripe's tolerance.
    old = _sign(payload, at=int(time.time()) - 3600)
    assert _deliver(client, payload, old).status_code == 400
    assert not _payments_posted().exists()
    assert not StripeEvent.objects.exists()
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING


def test_the_same_event_twice_posts_once(
    pending, client, django_capture_on_commit_callbacks
):
    payload = _event(pending)
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver(client, payload).status_code == 200
        assert _deliver(client, payload).status_code == 200
    assert _payments_posted().count() == 1
    assert StripeEvent.objects.count() == 1
    assert Notification.objects.count() == 1


def test_completed_then_async_succeeded_posts_once(pending, client):
    _deliver(client, _event(pending))
    _deliver(
        client,
        _event(pending, "checkout.session.async_payment_succeeded", "evt_2"),
    )
    assert _payments_posted().count() == 1
    assert StripeEvent.objects.count() == 2


def test_sepa_processing_then_succeeded(pending, client):
    _deliver(client, _event(pending, payment_status="unpaid"))
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING
    assert pending.method == PaymentMethod.SEPA
    assert not _payments_posted().exists()
    _deliver(
        client, _event(pending, "checkout.session.async_payment_succeeded", "evt_2")
    )
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert _payments_posted().get().amount == D("-1650.00")


def test_failed_after_succeeded_does_not_undo(pending, client):
    _deliver(client, _event(pending, "checkout.session.async_payment_succeeded"))
    _deliver(client, _event(pending, "checkout.session.async_payment_failed", "evt_2"))
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert _payments_posted().count() == 1


def test_sepa_failure_posts_nothing(pending, client):
    _deliver(client, _event(pending, payment_status="unpaid"))
    _deliver(client, _event(pending, "checkout.session.async_payment_failed", "evt_2"))
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.FAILED
    assert not _payments_posted().exists()


def test_unknown_events_and_strangers_sessions_are_ignored(pending, client):
    assert _deliver(client, _event(pending, "invoice.paid")).status_code == 200
    # A session that is not this payment's.
    stranger = _event(pending, event_id="evt_2", id="cs_someone_else")
    assert _deliver(client, stranger).status_code == 200
    wrong_amount = _event(pending, event_id="evt_3", amount_total=100)
    assert _deliver(client, wrong_amount).status_code == 200
    assert not _payments_posted().exists()
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING
    assert StripeEvent.objects.count() == 3


# -------------------------------------------------------------- success page


def test_success_page_shows_processing_until_the_webhook(world, pending, client):
    login(client, world.user("owner"))
    url = reverse("finance:pay_done", args=[world.home.slug, pending.pk])
    page = client.get(url).content.decode()
    assert "Processing" in page
    assert 'hx-trigger="every 3s"' in page
    assert "<form" not in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    _deliver(client, _event(pending))
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "received" in fragment
    assert "hx-trigger" not in fragment
    assert "<html" not in fragment
    # Reloading it posts nothing more.
    client.get(url)
    assert _payments_posted().count() == 1


def test_post_to_the_success_page_is_refused(world, pending, client):
    login(client, world.user("owner"))
    url = reverse("finance:pay_done", args=[world.home.slug, pending.pk])
    assert client.post(url).status_code == 405


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("calls", [1, 24])
def test_pay_page_query_count(
    world, fake_stripe, client, calls, django_assert_max_num_queries
):
    owner = world.user("owner")
    for n in range(calls):
        account, _call_ = _call(
            world,
            owner,
            D("100.00"),
            date(2020, 1, 1) + timedelta(days=90 * n),
            f"Appel {n}",
        )
    for n in range(calls):
        Payment.objects.create(
            account=account,
            amount=D("1.00") + n,
            minute=timezone.now() - timedelta(days=n + 1),
        )
    login(client, owner)
    url = reverse("finance:pay", args=[world.home.slug])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["dues"]) == calls


def test_entries_sum_matches_the_payments(pending, client):
    _deliver(client, _event(pending))
    total = _payments_posted().aggregate(total=Sum("amount"))["total"]
    assert total == -pending.amount


def test_async_succeeded_before_completed_posts_once(pending, client):
    """Stripe does not promise the order: the later `completed` changes nothing."""
    _deliver(client, _event(pending, "checkout.session.async_payment_succeeded"))
    _deliver(client, _event(pending, event_id="evt_2"))
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert _payments_posted().get().source_ref == "stripe:pi_test_1"
