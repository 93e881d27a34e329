"""Share links: documents handed to someone outside the residence (notary, bank,
buyer) through an unguessable address.

A link is for one residence, one or several library documents, a label (for whom),
an expiry (at most MAX_DAYS days ahead), an optional password (only its hash is
kept) and an optional maximum number of downloads. It can be revoked. Every use is
logged in `ShareAccess` with its outcome. A document archived, deleted or moved to a
personal space after sharing is no longer served through the link.

Downloads are counted by one conditional UPDATE: two downloads at the limit cannot
both pass (and the table's check constraint would refuse it anyway).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residents.access import Perm, Standing
from residents.models import Residence, User

from .models import Document, ShareAccess, ShareLink

MAX_DAYS = 90
PASSWORD_ATTEMPTS = 5
PASSWORD_WINDOW = 15 * 60  # seconds
USER_AGENT_LENGTH = 300

Outcome = ShareAccess.Outcome


class State(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    EXHAUSTED = "exhausted"


STATE_LABELS = {
    State.ACTIVE: gettext_lazy("Active"),
    State.EXPIRED: gettext_lazy("Expired"),
    State.REVOKED: gettext_lazy("Revoked"),
    State.EXHAUSTED: gettext_lazy("Download limit reached"),
}
# The outcome logged when a link is refused in that state.
REFUSAL = {
    State.EXPIRED: Outcome.EXPIRED,
    State.REVOKED: Outcome.REVOKED,
    State.EXHAUSTED: Outcome.LIMIT,
}


def state_of(link: ShareLink, now: datetime | None = None) -> State:
    """Revoked first (a deliberate act), then expired, then out of downloads."""
    now = now or timezone.now()
    if link.revoked_at is not None:
        return State.REVOKED
    if link.expires_at <= now:
        return State.EXPIRED
    if link.max_downloads is not None and link.download_count >= link.max_downloads:
        return State.EXHAUSTED
    return State.ACTIVE


# --- Selectors -----------------------------------------------------------------------


def share_links(standing: Standing) -> QuerySet[ShareLink]:
    """The residence's links this member may see: all of them for the council and
    the syndic, their own ones for anybody else (someone who created links and has
    since left the council). With document and access counts, the last access and
    the documents, in a constant number of queries."""
    links = ShareLink.objects.filter(residence=standing.residence)
    if not standing.can(Perm.MANAGE_DOCUMENTS):
        links = links.filter(created_by=standing.user)
    accesses = ShareAccess.objects.filter(link=OuterRef("pk")).order_by()
    return (
        links.select_related("created_by")
        .annotate(
            access_count=Coalesce(
                Subquery(
                    accesses.values("link").annotate(n=Count("pk")).values("n")[:1]
                ),
                0,
            ),
            last_access=Subquery(accesses.order_by("-at").values("at")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=Document.objects.only("pk", "title", "residence_id").order_by(
                    "title"
                ),
            )
        )
        .order_by("-created_at", "-pk")
    )


def share_link_for(standing: Standing, link_id: int) -> ShareLink | None:
    return share_links(standing).filter(pk=link_id).first()


def accesses_of(link: ShareLink) -> QuerySet[ShareAccess]:
    return link.accesses.select_related("document").only(
        "at", "ip", "user_agent", "outcome", "document__title", "link_id"
    )


def public_link(token: str) -> ShareLink | None:
    """The link behind a public address, whatever its state (None if unknown)."""
    if not token or len(token) > 64:
        return None
    return ShareLink.objects.filter(token=token).first()


def shared_documents(link: ShareLink) -> QuerySet[Document]:
    """What the link still serves: library documents of its residence, neither
    archived nor personal, with a current version."""
    return (
        link.documents.filter(
            residence_id=link.residence_id,
            owner__isnull=True,
            archived_at__isnull=True,
            current_version__isnull=False,
        )
        .select_related("current_version")
        .order_by("title", "pk")
    )


# --- Services ------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def expiry_from(day: date) -> datetime:
    """A link "until 12 March" works through the whole of 12 March, local time."""
    return timezone.make_aware(datetime.combine(day, time.max))


@transaction.atomic
def share_link_create(
    *,
    residence: Residence,
    by: User,
    documents: Sequence[Document],
    label: str,
    expires_on: date,
    password: str = "",
    max_downloads: int | None = None,
) -> ShareLink:
    """A new link for `documents`, which the caller took from what `by` may see."""
    documents = list(documents)
    if not documents:
        raise ValidationError(_("Choose at least one document to share."))
    for document in documents:
        if (
            document.residence_id != residence.pk
            or document.owner_id is not None
            or document.archived_at is not None
        ):
            raise ValidationError(
                _("“%(title)s” cannot be shared.") % {"title": document.title}
            )
    today = timezone.localdate()
    if expires_on < today:
        raise ValidationError({"expires_on": _("The expiry date is already past.")})
    if expires_on > today + timedelta(days=MAX_DAYS):
        raise ValidationError(
            {
                "expires_on": _("A link can last %(days)s days at most.")
                % {"days": MAX_DAYS}
            }
        )
    if max_downloads is not None and max_downloads < 1:
        raise ValidationError(
            {"max_downloads": _("Allow at least one download, or leave it empty.")}
        )
    link = ShareLink(
        residence=residence,
        label=label.strip(),
        token=new_token(),
        password_hash=make_password(password) if password else "",
        expires_at=expiry_from(expires_on),
        max_downloads=max_downloads,
        created_by=by,
    )
    link.full_clean()
    link.save()
    link.documents.set(documents)
    return link


def share_link_revoke(*, link: ShareLink) -> ShareLink:
    """Revoke the link at once; revoking twice keeps the first date."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def share_access_log(
    *,
    link: ShareLink,
    outcome: str,
    ip: str | None,
    user_agent: str,
    document: Document | None = None,
) -> ShareAccess:
    return ShareAccess.objects.create(
        link=link,
        document=document,
        outcome=outcome,
        ip=ip or None,
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH],
    )


def share_download_count(*, link: ShareLink) -> State:
    """Count one download if the link still allows it, atomically.

    One UPDATE with the conditions in its WHERE clause: of two downloads racing for
    the last allowed one, only one row update succeeds. `download_count` is left out
    of the link's history on purpose, so a plain UPDATE loses nothing there.
    """
    now = timezone.now()
    counted = (
        ShareLink.objects.filter(
            pk=link.pk, revoked_at__isnull=True, expires_at__gt=now
        )
        .filter(
            Q(max_downloads__isnull=True) | Q(download_count__lt=F("max_downloads"))
        )
        .update(download_count=F("download_count") + 1)
    )
    link.refresh_from_db(fields=["download_count", "revoked_at", "expires_at"])
    if counted:
        return State.ACTIVE
    return state_of(link, now)


# --- Passwords -----------------------------------------------------------------------


def _attempts_key(link: ShareLink, ip: str | None) -> str:
    return f"share-password:{link.pk}:{ip or '-'}"


def password_blocked(link: ShareLink, ip: str | None) -> bool:
    return (cache.get(_attempts_key(link, ip)) or 0) >= PASSWORD_ATTEMPTS


def password_check(link: ShareLink, password: str, ip: str | None) -> bool:
    """Check the password; a wrong one counts against this link and address (at most
    PASSWORD_ATTEMPTS per PASSWORD_WINDOW)."""
    if password_blocked(link, ip):
        return False
    if link.password_hash and check_password(password, link.password_hash):
        return True
    key = _attempts_key(link, ip)
    cache.add(key, 0, timeout=PASSWORD_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=PASSWORD_WINDOW)
    return False
