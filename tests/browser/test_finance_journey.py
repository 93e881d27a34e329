"""Issue #6's journey in a real browser: the syndic enters a budget and issues its
calls; a co-owner sees the first call, pays it through Stripe Checkout (Stripe faked
at its HTTP API, its checkout page faked at the browser's network boundary), the
webhook Stripe sends twice posts the payment once, and the balance updates; the
co-owner downloads an attestation that anyone can verify; a neighbour who does not pay
gets the reminder sequence as the daily job runs on later days."""

from __future__ import annotations

import io
import json
import re
import urllib.request
from decimal import Decimal

import pytest
import stripe
from playwright.sync_api import expect
from pypdf import PdfReader

from finance.models import (
    Entry,
    EntryKind,
    FundCall,
    Payment,
    PaymentStatus,
    Reminder,
    ReminderStep,
)
from finance.reminders import send_daily
from residents.models import Role, SyndicRole

from ..factories import make_employee, make_member, make_residence, make_user
from ..finance.stripe_fake import SECRET, FakeStripeHTTP, sign
from .conftest import signed_in_page

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUT_PAGE = """<!doctype html><html lang="en"><title>Stripe Checkout</title>
<main><h1>Pay Les Tilleuls</h1><button id="pay">Pay</button></main></html>"""


@pytest.fixture
def fake_stripe(monkeypatch, settings, live_server):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.SITE_URL = live_server.url
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe, "default_http_client", fake)
    return fake


def _deliver(base_url: str, payment: Payment) -> int:
    """The webhook as Stripe sends it: a signed `checkout.session.completed`."""
    payload = json.dumps(
        {
            "id": f"evt_{payment.pk}",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {
                "object": {
                    "id": payment.stripe_session_id,
                    "object": "checkout.session",
                    "client_reference_id": str(payment.pk),
                    "metadata": {"payment_id": str(payment.pk)},
                    "amount_total": int(payment.amount * 100),
                    "currency": "eur",
                    "payment_intent": f"pi_{payment.pk}",
                    "payment_status": "paid",
                }
            },
        }
    )
    request = urllib.request.Request(  # noqa: S310 (the loopback live server)
        f"{base_url}/stripe/webhook/",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_budget_calls_pay_once(chromium, live_server, fake_stripe):
    residence = make_residence(name="Les Tilleuls", lots=3)  # 100, 200, 300 units
    lots = list(residence.lots.order_by("number"))
    owner = make_user(first_name="Paul", last_name="Martin", language="en")
    make_member(residence, Role.OWNER, user=owner, lots=[lots[0]])
    late = make_user(first_name="Léa", last_name="Roux", language="en")
    make_member(residence, Role.OWNER, user=late, lots=[lots[1]])
    manager = make_employee(
        residence.syndic, SyndicRole.MANAGER, user=make_user(language="en")
    )
    general = residence.allocation_keys.get(is_general=True)
    slug = residence.slug
    contexts = []
    try:
        # The syndic enters the voted budget and issues its quarterly calls.
        context, desk = signed_in_page(chromium, live_server.url, manager)
        contexts.append(context)
        desk.goto(f"/r/{slug}/charges/budgets/new/")
        desk.get_by_label("Year", exact=True).fill("2027")
        desk.get_by_label(f"{general.name} (€ a year)").fill("12000.00")
        desk.get_by_label("Fonds de travaux contribution", exact=False).fill("600.00")
        desk.get_by_role("button", name="Save the budget").click()
        desk.get_by_role("link", name="Issue the calls…").click()
        desk.get_by_role("button", name="Issue the calls").click()
        expect(desk.get_by_role("link", name="Provision 1/4 2027")).to_be_visible()
        assert FundCall.objects.filter(residence=residence).count() == 4

        # The co-owner sees the first call: 12,600 € a year, 100/600 tantièmes,
        # a quarter → 525.00 €.
        context, home = signed_in_page(chromium, live_server.url, owner, size="phone")
        contexts.append(context)
        home.goto(f"/r/{slug}/charges/")
        expect(home.get_by_text("Provision 1/4 2027").first).to_be_visible()
        expect(home.locator("main")).to_contain_text("525.00")

        # …and pays it on Stripe's page.
        context.route(
            "https://checkout.stripe.com/**",
            lambda route: route.fulfill(content_type="text/html", body=CHECKOUT_PAGE),
        )
        home.goto(f"/r/{slug}/charges/pay/")
        home.get_by_label("The calls I choose below").check()
        home.get_by_label("Provision 1/4 2027", exact=False).check()
        home.get_by_role("button", name="Continue to payment").click()
        expect(home.get_by_role("heading", name="Pay Les Tilleuls")).to_be_visible()
        payment = Payment.objects.get()
        assert payment.amount == Decimal("525.00")

        # Back from Stripe before the webhook: "processing".
        home.goto(f"/r/{slug}/charges/pay/{payment.pk}/")
        expect(home.locator("main")).to_contain_text("Processing")

        # Stripe delivers the event twice: posted once.
        assert _deliver(live_server.url, payment) == 200
        assert _deliver(live_server.url, payment) == 200
        payments = Entry.objects.filter(kind=EntryKind.PAYMENT)
        assert [e.amount for e in payments] == [Decimal("-525.00")]
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED

        home.reload()
        expect(home.locator("main")).to_contain_text("is received and posted")
        home.goto(f"/r/{slug}/charges/")
        # Four calls of 525.00 € issued, one paid: 1,575.00 € remain.
        expect(home.locator("main")).to_contain_text("1,575.00")

        # The attestation of payment downloads at once…
        home.goto(f"/r/{slug}/charges/attestations/")
        with home.expect_download() as download:
            home.get_by_role("button", name="Download the attestation").click()
        pdf = download.value.path().read_bytes()
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        code = re.search(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){4}", text).group(0)

        # …and anyone holding it checks that it is genuine, and nothing more.
        context, anyone = signed_in_page(chromium, live_server.url)
        contexts.append(context)
        # A verifier who chose English (the site speaks French by default).
        context.add_cookies(
            [{"name": "django_language", "value": "en", "url": live_server.url}]
        )
        anyone.goto(f"/attestations/verify/?code={code.lower()}")
        expect(anyone.get_by_role("status", name="Genuine document")).to_be_visible()
        expect(anyone.locator("main")).not_to_contain_text("Martin")
        anyone.goto("/attestations/verify/?code=AAAA-BBBB-CCCC-DDDD-EEEE")
        expect(anyone.locator("main")).to_contain_text("Verification code")
        expect(anyone.get_by_role("status", name="Genuine document")).to_have_count(0)

        # The daily job, with the clock moved forward: Léa has not paid Q1.
        for day in ["2026-12-25", "2026-12-25", "2027-01-11", "2027-01-31"]:
            send_daily.apply(kwargs={"today": day}).get()
        q1 = FundCall.objects.get(residence=residence, period=1)
        sent = Reminder.objects.filter(call=q1).order_by("sent_on")
        assert [(r.account.owner, r.step) for r in sent] == [
            (late, ReminderStep.FRIENDLY),
            (late, ReminderStep.LATE),
            (late, ReminderStep.FORMAL),
        ]
        context, neighbour = signed_in_page(chromium, live_server.url, late)
        contexts.append(context)
        neighbour.goto("/notifications/")
        main = neighbour.locator("main")
        expect(main).to_contain_text("reminder, 1050.00 € due on")
        expect(main).to_contain_text("payment overdue")
        expect(main).to_contain_text("formal notice to pay 1050.00 €")
        for page in (desk, home, anyone, neighbour):
            assert page.errors == [], page.errors
    finally:
        for context in contexts:
            context.close()
