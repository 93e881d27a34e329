"""Signature requests: syndic staff ask a member to sign a PDF; the member confirms
their identity again (their passkey or authenticator app through allauth's
reauthentication, a TOTP code typed on the sign page, else a one-time code by SMS) and
the platform signs.

Writes are the `signature_*` services; reads are the selectors below them, always
scoped by the reader's `Standing`. The cryptography lives in `signing.py`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from copro.lib.files import FilesWritten
from copro.lib.sms import SMSError, send_sms
from copro.lib.uploads import CleanDocument
from notifications.services import notify
from residents import access
from residents.access import Standing
from residents.models import Category as NotificationCategory
from residents.models import SyndicEmployee, User

from . import selectors, services, signing
from .models import Document, DocumentVersion, SignatureRequest, SignatureStatus

CODE_LIFETIME = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(seconds=60)
MAX_CODE_ATTEMPTS = 5
MAX_TOTP_FAILURES = 5
TOTP_FAILURE_WINDOW = 15 * 60
VERIFICATION_CACHE_SECONDS = 24 * 3600
# A confirmation through allauth's reauthentication signs within this delay, once.
REAUTHENTICATION_MAX_AGE = timedelta(minutes=5)


class Confirmation:
    """How the signer confirmed their identity (stored in `confirmation`): the factor,
    whether its code was typed on the sign page or on allauth's confirmation page."""

    TOTP = "totp"
    WEBAUTHN = "webauthn"
    SMS = "sms"
    LABELS = {
        TOTP: gettext_lazy("code from their authenticator app (two-factor)"),
        WEBAUTHN: gettext_lazy("their passkey or security key (WebAuthn)"),
        SMS: gettext_lazy("one-time code sent by SMS to their verified phone"),
    }
    # The authenticators that confirm through allauth's reauthentication. Recovery
    # codes do not: they are for getting back into an account, not for signing.
    BY_REAUTHENTICATION = (TOTP, WEBAUTHN)


@dataclass(frozen=True)
class Reauthentication:
    """One MFA reauthentication that allauth recorded in the signer's session: who,
    with which authenticator (`method` is its type) and when (a Unix time, as
    allauth records it)."""

    user_id: int
    method: str
    authenticator_id: int
    at: float


def sign_url(request: SignatureRequest) -> str:
    return reverse(
        "documents:signature_sign", args=[request.document.residence.slug, request.pk]
    )


def _display_name(user: User) -> str:
    return user.get_full_name() or user.email


def _totp_of(user: User):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()


def mfa_types(user: User) -> frozenset[str]:
    """The types of this person's authenticators that may confirm a signature
    (`Confirmation.BY_REAUTHENTICATION`), in one query."""
    from allauth.mfa.models import Authenticator

    return frozenset(
        Authenticator.objects.filter(
            user_id=user.pk, type__in=Confirmation.BY_REAUTHENTICATION
        ).values_list("type", flat=True)
    )


def confirmation_method(user: User, types: frozenset[str] | None = None) -> str | None:
    """The strongest way this person can confirm on the sign page: a code from their
    TOTP app, else their passkey (through allauth's reauthentication only), else an
    SMS to a verified phone; None when they have none (they must set one up first).
    `types` is `mfa_types(user)` when the caller already has it."""
    types = mfa_types(user) if types is None else types
    if Confirmation.TOTP in types:
        return Confirmation.TOTP
    if Confirmation.WEBAUTHN in types:
        return Confirmation.WEBAUTHN
    if user.phone and user.phone_verified:
        return Confirmation.SMS
    return None


# --- Services ------------------------------------------------------------------------


@transaction.atomic
def signature_request_create(
    *, standing: Standing, document: Document, signer: User, message: str = ""
) -> SignatureRequest:
    """Ask `signer` to sign the document's current version; they are notified."""
    if not standing.is_syndic:
        raise ValidationError(_("Only the syndic may request a signature."))
    residence = standing.residence
    if document.residence_id != residence.pk or document.is_personal:
        raise ValidationError(_("This document cannot be signed."))
    if document.archived_at is not None:
        raise ValidationError(_("An archived document cannot be signed."))
    version = document.current_version
    if version is None or version.kind != "pdf":
        raise ValidationError(_("Only a PDF document can be signed."))
    signer_standing = access.standing(signer, residence.slug)
    if signer_standing is None or signer_standing.membership_id is None:
        raise ValidationError(
            {"signer": _("Choose an active member of the residence.")}
        )
    if signer_standing.is_syndic:
        raise ValidationError({"signer": _("Syndic staff cannot be asked to sign.")})
    if selectors.document_for(signer_standing, document.pk) is None:
        raise ValidationError(
            {
                "signer": _(
                    "%(name)s may not see this document: change who may see it first."
                )
                % {"name": _display_name(signer)}
            }
        )
    asked = SignatureRequest.objects.filter(
        document=document,
        signer=signer,
        status__in=[SignatureStatus.PENDING, SignatureStatus.SIGNED],
    ).first()
    if asked is not None:
        text = (
            _("%(name)s has already signed this document.")
            if asked.status == SignatureStatus.SIGNED
            else _("%(name)s has already been asked to sign this document.")
        )
        raise ValidationError({"signer": text % {"name": _display_name(signer)}})
    request = SignatureRequest(
        document=document,
        version=version,
        signer=signer,
        requested_by=standing.user,
        message=message.strip(),
    )
    request.full_clean()
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # the same request sent twice at once
        raise ValidationError(
            _("%(name)s has already been asked to sign this document.")
            % {"name": _display_name(signer)}
        ) from exc
    request.document = document
    notify(
        recipients=[signer],
        residence=residence,
        category=NotificationCategory.DOCUMENTS,
        template="signature_requested",
        context={
            "residence": residence.name,
            "title": document.title,
            "by": _display_name(standing.user),
            "message": request.message[:500],
        },
        url=sign_url(request),
    )
    return request


def _close(request: SignatureRequest, status: str) -> SignatureRequest:
    locked = SignatureRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != SignatureStatus.PENDING:
        raise ValidationError(_("This request is no longer waiting for a signature."))
    locked.status = status
    locked.decided_at = timezone.now()
    locked.sms_code_hash = ""
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def signature_request_cancel(*, request: SignatureRequest) -> SignatureRequest:
    """The syndic withdraws a request that is still waiting."""
    return _close(request, SignatureStatus.CANCELLED)


@transaction.atomic
def signature_request_decline(*, request: SignatureRequest) -> SignatureRequest:
    """The signer refuses to sign."""
    return _close(request, SignatureStatus.DECLINED)


@transaction.atomic
def signature_code_send(*, request: SignatureRequest) -> None:
    """Send the signer a 6-digit code by SMS (valid 10 minutes, 5 tries); only its
    hash is kept. At most one code a minute."""
    locked = (
        SignatureRequest.objects.select_for_update()
        .select_related("signer")
        .get(pk=request.pk)
    )
    if locked.status != SignatureStatus.PENDING:
        raise ValidationError(_("This request is no longer waiting for a signature."))
    signer = locked.signer
    if confirmation_method(signer) != Confirmation.SMS:
        raise ValidationError(_("Confirm with your authenticator app instead."))
    now = timezone.now()
    expires = locked.sms_code_expires_at
    if expires is not None and expires - CODE_LIFETIME + CODE_RESEND_AFTER > now:
        raise ValidationError(
            _("A code was sent less than a minute ago: wait a little, then try again.")
        )
    code = f"{secrets.randbelow(10**6):06d}"
    locked.sms_code_hash = make_password(code)
    locked.sms_code_expires_at = now + CODE_LIFETIME
    locked.sms_attempts = 0
    locked.save(update_fields=["sms_code_hash", "sms_code_expires_at", "sms_attempts"])
    with translation.override(signer.language or "fr"):
        body = _(
            "Copro: %(code)s is your code to sign a document. It expires in 10 "
            "minutes. Never share it."
        ) % {"code": code}
    try:
        send_sms(signer.phone, body)
    except SMSError as exc:
        raise ValidationError(
            _("The SMS could not be sent. Try again in a moment.")
        ) from exc


def _totp_key(request: SignatureRequest) -> str:
    return f"documents:signature-totp-failures:{request.pk}"


def _confirm(request: SignatureRequest, method: str, code: str) -> str | None:
    """None when `code` confirms the signer's identity, else the message to show.
    Failed attempts are recorded (the caller commits them)."""
    from allauth.mfa.totp.internal.auth import TOTP

    code = "".join(code.split())
    if method not in (Confirmation.TOTP, Confirmation.SMS) or (
        method != confirmation_method(request.signer)
    ):
        return _("Confirm your identity with the method shown on the page.")
    if method == Confirmation.TOTP:
        key = _totp_key(request)
        if cache.get(key, 0) >= MAX_TOTP_FAILURES:
            return _("Too many wrong codes: wait a quarter of an hour, then try again.")
        if TOTP(_totp_of(request.signer)).validate_code(code):
            cache.delete(key)
            return None
        cache.add(key, 0, TOTP_FAILURE_WINDOW)
        cache.incr(key)
        return _("This code is not right, or was already used: enter the current one.")
    now = timezone.now()
    if not request.sms_code_hash or request.sms_code_expires_at is None:
        return _("Ask for a code by SMS first.")
    if request.sms_code_expires_at <= now:
        return _("This code has expired: ask for a new one.")
    if request.sms_attempts >= MAX_CODE_ATTEMPTS:
        return _("Too many wrong codes: ask for a new one.")
    if check_password(code, request.sms_code_hash):
        request.sms_code_hash = ""  # one use only
        return None
    request.sms_attempts += 1
    request.save(update_fields=["sms_attempts"])
    left = MAX_CODE_ATTEMPTS - request.sms_attempts
    if left == 0:
        return _("Too many wrong codes: ask for a new one.")
    return _("This code is not right (%(left)s tries left).") % {"left": left}


def _signed_name(name: str) -> str:
    stem = PurePath(name).stem or "document"
    return f"{stem[:180]}-signe.pdf"


def _apply_signature(
    request: SignatureRequest,
    document: Document,
    *,
    method: str,
    ip: str | None,
    user_agent: str,
) -> DocumentVersion:
    original = request.version
    with original.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != original.sha256:
        raise ValidationError(
            _("The stored file no longer matches its fingerprint: it cannot be signed.")
        )
    now = timezone.now()
    try:
        signed = signing.sign_pdf(
            data,
            field_name=f"Copro-signature-{request.pk}",
            signer_name=_display_name(request.signer),
            signed_at=now,
            location=document.residence.name,
        )
    except signing.SigningError as exc:
        raise ValidationError(
            _("This PDF cannot be signed (it may be protected or damaged).")
        ) from exc
    digest = hashlib.sha256(signed).hexdigest()
    name = _signed_name(original.original_name)
    upload = CleanDocument(
        content=ContentFile(signed, name=name),
        original_name=name,
        content_type="application/pdf",
        kind="pdf",
        size=len(signed),
        sha256=digest,
    )
    last = document.versions.order_by("-number").values_list("number", flat=True)
    with FilesWritten() as files:
        version = services._add_version(
            document,
            upload,
            by=request.signer,
            note=_("Signed by %(name)s") % {"name": _display_name(request.signer)},
            number=(last.first() or 0) + 1,
            files=files,
        )
        request.status = SignatureStatus.SIGNED
        request.decided_at = now
        request.signed_version = version
        request.signer_ip = ip or None
        request.signer_user_agent = user_agent[:300]
        request.confirmation = method
        request.original_sha256 = original.sha256
        request.signed_sha256 = digest
        request.sms_code_hash = ""
        request.full_clean()
        request.save()
        # Others asked to sign the same text now sign this version, on top of this
        # signature (each signature stays verifiable).
        for sibling in SignatureRequest.objects.filter(
            version=original, status=SignatureStatus.PENDING
        ).exclude(pk=request.pk):
            sibling.version = version
            sibling.save(update_fields=["version"])
    services.refresh_search(document.pk)
    return version


def _confirm_reauthentication(
    request: SignatureRequest, proof: Reauthentication
) -> str | None:
    """None when `proof` confirms the signer's identity, else the message to show.
    A proof signs once: the first use of it wins, even from two requests at once."""
    from allauth.mfa.models import Authenticator

    if proof.user_id != request.signer_id:
        return _("Confirm your identity again.")
    if proof.method not in Confirmation.BY_REAUTHENTICATION:
        return _("Confirm with your passkey or your authenticator app.")
    if time.time() - proof.at > REAUTHENTICATION_MAX_AGE.total_seconds():
        return _("Your confirmation is more than 5 minutes old: confirm again.")
    if not Authenticator.objects.filter(
        pk=proof.authenticator_id, user_id=request.signer_id, type=proof.method
    ).exists():  # removed since
        return _("Confirm your identity again.")
    if not cache.add(
        f"documents:signature-reauthentication:{proof.user_id}:{proof.at!r}",
        request.pk,
        int(REAUTHENTICATION_MAX_AGE.total_seconds()) * 2,
    ):
        return _("This confirmation was already used: confirm again.")
    return None


def _sign(
    request: SignatureRequest,
    confirm: Callable[[SignatureRequest], tuple[str | None, str]],
    *,
    ip: str | None,
    user_agent: str,
) -> SignatureRequest:
    """Lock, check the request still waits on this version, `confirm(locked)` (a
    message, or None with the method that confirmed), then sign."""
    error = None
    with transaction.atomic():
        # Lock order: the document, then the request (as `document_add_version`).
        document = (
            Document.objects.select_for_update()
            .select_related("residence")
            .get(pk=request.document_id)
        )
        locked = (
            SignatureRequest.objects.select_for_update()
            .select_related("signer", "version")
            .get(pk=request.pk)
        )
        if locked.status != SignatureStatus.PENDING:
            raise ValidationError(
                _("This request is no longer waiting for a signature."),
                code="decided",
            )
        if document.archived_at is not None or (
            document.current_version_id != locked.version_id
        ):
            raise ValidationError(
                _(
                    "The document has changed since the request: the syndic must "
                    "ask again."
                )
            )
        error, method = confirm(locked)
        if error is None:
            _apply_signature(
                locked, document, method=method, ip=ip, user_agent=user_agent
            )
    if error is not None:  # raised after commit: the failed attempt stays counted
        raise ValidationError(error, code="confirmation")
    return locked


def signature_sign(
    *,
    request: SignatureRequest,
    method: str,
    code: str,
    ip: str | None = None,
    user_agent: str = "",
) -> SignatureRequest:
    """Confirm the signer's identity with `code` (TOTP or SMS), then sign: the signed
    PDF becomes the document's new current version and the evidence is kept. The
    request and its document are locked, so a double submit signs once (the second
    is refused)."""
    return _sign(
        request,
        lambda locked: (_confirm(locked, method, code), method),
        ip=ip,
        user_agent=user_agent,
    )


def signature_sign_reauthenticated(
    *,
    request: SignatureRequest,
    proof: Reauthentication,
    ip: str | None = None,
    user_agent: str = "",
) -> SignatureRequest:
    """Sign on the strength of a fresh MFA reauthentication (passkey or TOTP through
    allauth's confirmation page): the evidence records its authenticator's type. As
    `signature_sign`, otherwise."""
    return _sign(
        request,
        lambda locked: (_confirm_reauthentication(locked, proof), proof.method),
        ip=ip,
        user_agent=user_agent,
    )


# --- Selectors -----------------------------------------------------------------------


def _requests() -> QuerySet[SignatureRequest]:
    return SignatureRequest.objects.select_related(
        "document__residence", "signer", "requested_by", "version", "signed_version"
    )


def requests_of_document(
    standing: Standing, document: Document
) -> QuerySet[SignatureRequest]:
    """The syndic sees every request; members see theirs and the signed ones."""
    found = _requests().filter(document=document)
    if not standing.is_syndic:
        found = found.filter(Q(signer=standing.user) | Q(status=SignatureStatus.SIGNED))
    return found.order_by("-created_at", "-pk")


def request_to_sign(standing: Standing, request_id: int) -> SignatureRequest | None:
    """A request addressed to this member, in this residence."""
    return (
        _requests()
        .filter(
            pk=request_id,
            signer=standing.user,
            document__residence=standing.residence,
        )
        .first()
    )


def request_for_syndic(standing: Standing, request_id: int) -> SignatureRequest | None:
    if not standing.is_syndic:
        return None
    return (
        _requests()
        .filter(pk=request_id, document__residence=standing.residence)
        .first()
    )


def request_evidence(standing: Standing, request_id: int) -> SignatureRequest | None:
    """The evidence (IP, user agent, hashes) is for the syndic and the signer only."""
    return request_for_syndic(standing, request_id) or request_to_sign(
        standing, request_id
    )


def requests_in_residence(standing: Standing) -> QuerySet[SignatureRequest]:
    """The syndic: every request of the residence; a member: those addressed to them.
    Waiting ones first."""
    found = _requests().filter(document__residence=standing.residence)
    if not standing.is_syndic:
        found = found.filter(signer=standing.user)
    return found.order_by(
        ExpressionWrapper(
            Q(status=SignatureStatus.PENDING), output_field=BooleanField()
        ).desc(),
        "-created_at",
        "-pk",
    )


def dashboard_signatures(standing: Standing, *, limit: int = 5) -> list:
    """The member's requests waiting for their signature (one query)."""
    return list(
        _requests()
        .filter(
            signer=standing.user,
            document__residence=standing.residence,
            status=SignatureStatus.PENDING,
        )
        .order_by("-created_at")[:limit]
    )


def signers_for(standing: Standing, document: Document) -> QuerySet[User]:
    """Active members (not syndic staff) who may see `document`: who may be asked."""
    from .follows import readers_of

    residence = standing.residence
    members = access.active_memberships().filter(residence=residence)
    staff = SyndicEmployee.objects.filter(syndic_id=residence.syndic_id, is_active=True)
    return (
        User.objects.filter(pk__in=readers_of(document), is_active=True)
        .filter(pk__in=members.values("user_id"))
        .exclude(pk__in=staff.values("user_id"))
        .order_by("last_name", "first_name", "email")
    )


def verification_of(version: DocumentVersion, *, cached: bool = True):
    """`signing.verify_pdf` of a stored version. Cached per file hash for pages that
    show it in passing; the verify page passes `cached=False` and reads the file."""
    key = f"documents:signature-check:v1:{version.pk}:{version.sha256}"
    if cached:
        found = cache.get(key)
        if found is not None:
            return found
    try:
        with version.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError):
        return signing.VerificationResult(valid=False, intact=False)
    result = signing.verify_pdf(data)
    if hashlib.sha256(data).hexdigest() != version.sha256:
        result = signing.VerificationResult(
            valid=False,
            intact=False,
            signer_name=result.signer_name,
            signed_at=result.signed_at,
            signatures=result.signatures,
        )
    cache.set(key, result, VERIFICATION_CACHE_SECONDS)
    return result
