"""Notifying people: channels by preference, idempotent deliveries, visible failures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from copro.lib import sms
from notifications import services
from notifications.models import Delivery, DeliveryStatus, Notification
from notifications.tasks import deliver
from residents.models import Category, CommunicationPreference, Role

from ..conftest import login
from ..factories import make_member, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run notify() as production does: its task starts once the transaction commits."""

    def _send(**kwargs):
        defaults = {
            "category": Category.MEMBERSHIP,
            "template": "membership_accepted",
            "context": {"residence": "Les Tilleuls", "role": Role.OWNER},
            "url": "/r/les-tilleuls/",
        }
        with django_capture_on_commit_callbacks(execute=True):
            return services.notify(**{**defaults, **kwargs})

    return _send


def test_each_recipient_gets_an_entry_and_an_email_in_their_language(send, mailoutbox):
    french, english = make_user(), make_user(language="en")
    send(recipients=[french, english])
    titles = dict(Notification.objects.values_list("recipient__email", "title"))
    assert titles == {
        french.email: "Bienvenue à Les Tilleuls",
        english.email: "Welcome to Les Tilleuls",
    }
    bodies = {m.to[0]: m.body for m in mailoutbox}
    assert "copropriétaire" in bodies[french.email].lower()
    assert "Co-owner" in bodies[english.email]
    assert all(m.alternatives for m in mailoutbox)
    assert set(Delivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.SENT
    }


def test_preferences_choose_the_channels(send, mailoutbox):
    quiet = make_user()
    CommunicationPreference.objects.create(
        user=quiet, category=Category.MEMBERSHIP, email=False, sms=True, in_app=False
    )
    send(recipients=[quiet])
    notification = Notification.objects.get(recipient=quiet)
    assert not notification.in_app  # not in the centre
    assert mailoutbox == [] and sms.outbox == []  # SMS is for urgent ones only


def test_urgent_is_always_in_app_and_goes_by_sms_to_a_verified_phone(send):
    person = make_user(phone="+33612345678", phone_verified=True)
    unverified = make_user(phone="+33699999999")
    for user in (person, unverified):
        CommunicationPreference.objects.create(
            user=user, category=Category.MEMBERSHIP, email=False, sms=True, in_app=False
        )
    send(recipients=[person, unverified], urgent=True)
    assert Notification.objects.filter(in_app=True).count() == 2
    assert [m.to for m in sms.outbox] == ["+33612345678"]
    assert "/r/les-tilleuls/" in sms.outbox[0].body


def test_a_fan_out_run_twice_creates_and_sends_nothing_new(mailoutbox):
    person = make_user()
    payload = {
        "event": "7d1f5a8e-2c1b-4f0e-9a55-3b6f0f6c2a10",
        "recipient_ids": [person.pk],
        "residence_id": None,
        "category": Category.MEMBERSHIP,
        "template": "membership_accepted",
        "context": {"residence": "X", "role": "owner"},
        "url": "",
        "urgent": False,
    }
    first = services.fan_out_event(payload)
    for delivery_id in first:
        deliver(delivery_id)
    assert services.fan_out_event(payload) == []  # all sent already
    for delivery_id in first:
        assert deliver(delivery_id) == "skipped"
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


def test_a_provider_failure_is_recorded_not_silent(send, settings, world, as_persona):
    settings.EMAIL_BACKEND = "tests.notifications.failing_email.Backend"
    send(recipients=[world.user("owner")], residence=world.home)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "SMTPServerDisconnected" in delivery.last_error
    assert delivery.attempts == 1
    # The syndic sees it in the back office; another syndic does not.
    changelist = reverse("backoffice:notifications_delivery_changelist")
    response = as_persona("staff").get(changelist + "?status__exact=failed")
    assert list(response.context["cl"].result_list) == [delivery]
    response = as_persona("other_staff").get(changelist)
    assert list(response.context["cl"].result_list) == []


def test_an_undeclared_category_is_refused():
    with pytest.raises(ValueError):
        services.notify(
            recipients=[],
            category="nonsense",
            template="membership_accepted",
            context={},
        )


def test_accepting_a_member_notifies_them(
    world, client, mailoutbox, django_capture_on_commit_callbacks
):
    """The join flow goes through notify(): an entry in the centre and an email."""
    pending = make_member(world.home, Role.OWNER, status="pending")
    login(client, world.user("council"))
    url = reverse("residents:membership", args=[world.home.slug, pending.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"role": Role.OWNER})
    notification = Notification.objects.get(recipient=pending.user)
    assert notification.residence == world.home
    assert notification.url == reverse("residents:dashboard", args=[world.home.slug])
    assert [m.to for m in mailoutbox] == [[pending.user.email]]


class TestCentre:
    def test_inbox_shows_only_ones_own_and_marks_read(self, send, client):
        mine, theirs = make_user(), make_user()
        send(recipients=[mine, theirs])
        login(client, mine)
        page = client.get(reverse("notifications:inbox"))
        assert [n.recipient for n in page.context["page"]] == [mine]
        other = Notification.objects.get(recipient=theirs)
        client.post(reverse("notifications:mark_read", args=[other.pk]))
        other.refresh_from_db()
        assert other.read_at is None  # someone else's: untouched
        own = Notification.objects.get(recipient=mine)
        response = client.post(
            reverse("notifications:mark_read", args=[own.pk]), {"next": own.url}
        )
        assert response.url == own.url
        own.refresh_from_db()
        assert own.read_at is not None

    def test_mark_read_never_redirects_off_site(self, send, client):
        person = make_user()
        send(recipients=[person])
        login(client, person)
        own = Notification.objects.get()
        response = client.post(
            reverse("notifications:mark_read", args=[own.pk]),
            {"next": "https://evil.example.org/"},
        )
        assert response.url == reverse("notifications:inbox")

    def test_mark_all_read_and_badge(self, send, client):
        person = make_user()
        send(recipients=[person])
        send(recipients=[person])
        login(client, person)
        badge = client.get(reverse("notifications:badge")).content.decode()
        assert ">2</span>" in badge.replace("\n", "")
        assert 'hx-trigger="every 30s, copro:refresh from:body"' in badge
        assert 'data-latest="Bienvenue' in badge
        client.post(reverse("notifications:mark_all_read"))
        assert not Notification.objects.filter(read_at__isnull=True).exists()
        assert (
            "badge-empty" in client.get(reverse("notifications:badge")).content.decode()
        )

    @pytest.mark.parametrize(
        ("name", "method", "args"),
        [
            ("notifications:inbox", "get", []),
            ("notifications:badge", "get", []),
            ("notifications:mark_all_read", "post", []),
            ("notifications:mark_read", "post", [1]),
        ],
    )
    def test_anonymous_is_sent_to_login(self, client, name, method, args):
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_inbox_query_count_is_constant(
        self, send, client, django_assert_max_num_queries
    ):
        person = make_user()
        login(client, person)
        send(recipients=[person])
        # session, user, count, page, unread badge, switcher
        with django_assert_max_num_queries(6):
            client.get(reverse("notifications:inbox"))
        for _ in range(20):
            send(recipients=[person])
        with django_assert_max_num_queries(6):
            response = client.get(reverse("notifications:inbox"))
        assert len(response.context["page"].object_list) == 21


def test_plain_text_is_not_html_escaped(send, mailoutbox):
    """Titles, email subjects and text bodies are text: no &#x27; for an apostrophe."""
    person = make_user()
    send(
        recipients=[person],
        context={"residence": "L'Orée du Bois", "role": Role.OWNER},
    )
    notification = Notification.objects.get()
    assert notification.title == "Bienvenue à L'Orée du Bois"
    assert mailoutbox[0].subject == "Bienvenue à L'Orée du Bois"
    assert "L'Orée du Bois" in mailoutbox[0].body
    assert "L&#x27;Orée du Bois" in mailoutbox[0].alternatives[0][0]  # HTML part


class TestDailyDigest:
    def test_digest_replaces_individual_emails_and_goes_once_a_day(
        self, send, mailoutbox
    ):
        from notifications.models import Digest

        person = make_user(email_digest=True)
        other = make_user()
        send(recipients=[person, other])
        send(
            recipients=[person, other],
            context={"residence": "Le Clos", "role": "owner"},
        )
        assert sorted(m.to[0] for m in mailoutbox) == [other.email, other.email]
        mailoutbox.clear()

        assert services.send_daily_digests() == 1
        [summary] = mailoutbox
        assert summary.to == [person.email]
        assert "Les Tilleuls" in summary.body and "Le Clos" in summary.body
        assert Digest.objects.get().notification_count == 2
        assert services.send_daily_digests() == 0  # the cron runs twice: nothing more
        assert len(mailoutbox) == 1

    def test_urgent_ones_still_go_at_once(self, send, mailoutbox):
        person = make_user(email_digest=True)
        send(recipients=[person], urgent=True)
        assert [m.to for m in mailoutbox] == [[person.email]]
        assert services.send_daily_digests() == 0

    def test_the_preference_page_sets_it(self, client):
        person = make_user()
        login(client, person)
        client.post(reverse("residents:preferences"), {"email_digest": "on"})
        person.refresh_from_db()
        assert person.email_digest
