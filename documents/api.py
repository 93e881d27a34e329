"""The syndic API: a syndic's own software publishes documents and events into the
residences that syndic currently manages.

    Authorization: Bearer cop_<prefix>_<secret>

A token belongs to a syndic (created in the back office by one of its managers; the
full token is shown once). Only the SHA-256 of the secret is stored: the secret is
256 random bits, so a fast hash is enough, and comparing hashes with
`hmac.compare_digest` leaks nothing through timing. A residence that changed syndic
is no longer reachable with the former syndic's tokens. JSON in and out, no
session, no CSRF (nothing here relies on cookies), a rate limit per token.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
import time

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from copro.lib.uploads import CleanDocument, clean_document
from life import services as life_services
from life.forms import EventForm
from life.models import EventKind
from life.services import EVENT_FIELDS
from residents.models import Residence, Syndic, User

from . import services
from .categories import Category
from .forms import TagsField
from .models import ApiToken, Visibility

TOKEN_PREFIX = "cop"  # noqa: S105 (the public marker of our tokens)
DEFAULT_RATE_LIMIT = 60  # requests per token and per minute

# --- Tokens --------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, syndic: Syndic, name: str, by: User | None
) -> tuple[ApiToken, str]:
    """A new token for `syndic`; returns it with the full value, which is never
    stored and cannot be shown again."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        syndic=syndic,
        name=name,
        prefix=secrets.token_hex(5),  # no "_" in it: the separator stays unambiguous
        secret_hash=_hash(secret),
        created_by=by,
    )
    token.full_clean()
    token.save()
    return token, f"{TOKEN_PREFIX}_{token.prefix}_{secret}"


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """The token stops working at once; revoking twice keeps the first date."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` stands for, or None (unknown, malformed or revoked)."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    token = (
        ApiToken.objects.select_related("created_by")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(_hash(parts[2]), token.secret_hash):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# --- Request handling ----------------------------------------------------------------


def _errors(status: int, errors: dict, **headers) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _form_errors(form: forms.Form) -> dict:
    return {
        field: [str(m) for m in messages] for field, messages in form.errors.items()
    }


def _validation_errors(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": error.messages}


def _rate_limited(token: ApiToken) -> int:
    """Seconds to wait if this token went past its limit this minute, else 0."""
    limit = getattr(settings, "COPRO_API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    now = int(time.time())
    key = f"api-rate:{token.pk}:{now // 60}"
    cache.add(key, 0, timeout=70)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the first request
        cache.set(key, 1, timeout=70)
        count = 1
    return 60 - now % 60 if count > limit else 0


def api_view(view):
    """Authenticate the token, apply its rate limit, find the residence its syndic
    manages today; the view receives (request, token, residence)."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, residence: str) -> JsonResponse:
        if request.method != "POST":
            return _errors(
                405, {"__all__": [_("Only POST is allowed here.")]}, Allow="POST"
            )
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        token = api_token_authenticate(raw.strip()) if scheme == "Bearer" else None
        if token is None:
            return _errors(
                401,
                {"__all__": [_("A valid API token is required.")]},
                WWW_Authenticate='Bearer realm="copro"',
            )
        wait = _rate_limited(token)
        if wait:
            return _errors(
                429,
                {"__all__": [_("Too many requests: try again in a minute.")]},
                Retry_After=str(wait),
            )
        found = Residence.objects.filter(
            slug=residence, syndic_id=token.syndic_id
        ).first()
        if found is None:
            return _errors(404, {"__all__": [_("No such residence for this syndic.")]})
        response = view(request, token, found)
        response["Cache-Control"] = "no-store"
        return response

    return wrapped


# --- Documents -----------------------------------------------------------------------


class ApiDocumentForm(forms.Form):
    """What a syndic's software sends with a document (multipart/form-data)."""

    file = forms.FileField(label=gettext_lazy("File"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Category.choices, required=False
    )
    date = forms.DateField(label=gettext_lazy("Date"), required=False)
    description = forms.CharField(label=gettext_lazy("Description"), required=False)
    tags = TagsField(label=gettext_lazy("Tags"), required=False)
    visibility = forms.ChoiceField(
        label=gettext_lazy("Visible to"),
        choices=[
            (v.value, v.label)
            for v in (Visibility.EVERYONE, Visibility.OWNERS, Visibility.COUNCIL)
        ],
        required=False,
    )

    def clean_file(self) -> CleanDocument:
        return clean_document(self.cleaned_data["file"])


@api_view
def document_create(request: HttpRequest, token: ApiToken, residence: Residence):
    """Publish one document (file + metadata) into the residence's library."""
    form = ApiDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _errors(400, _form_errors(form))
    data = form.cleaned_data
    try:
        (document,) = services.documents_upload(
            residence=residence,
            by=token.created_by,
            uploads=[data["file"]],
            title=data["title"],
            category=data["category"] or Category.OTHER,
            date=data["date"],
            description=data["description"],
            tags=data["tags"],
            visibility=data["visibility"] or Visibility.OWNERS,
        )
    except ValidationError as error:
        return _errors(400, _validation_errors(error))
    return JsonResponse(
        {
            "id": document.pk,
            "title": document.title,
            "url": request.build_absolute_uri(document.get_absolute_url()),
            "version": document.current_version.number,
        },
        status=201,
    )


# --- Events --------------------------------------------------------------------------


@api_view
def event_create(request: HttpRequest, token: ApiToken, residence: Residence):
    """Add an event to the residence's calendar (JSON body, ISO 8601 dates)."""
    if request.content_type != "application/json":
        return _errors(415, {"__all__": [_("Send the event as application/json.")]})
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        return _errors(400, {"__all__": [_("The body must be a JSON object.")]})
    data = {k: v for k, v in body.items() if k in EVENT_FIELDS}
    if data.get("kind") == EventKind.COUNCIL:
        data["council_only"] = True  # as event_save decides; the form checks it first
    form = EventForm(data=data)
    if not form.is_valid():
        return _errors(400, _form_errors(form))
    try:
        event = life_services.event_save(
            residence=residence,
            by=token.created_by,
            **{field: form.cleaned_data[field] for field in EVENT_FIELDS},
        )
    except ValidationError as error:
        return _errors(400, _validation_errors(error))
    return JsonResponse(
        {
            "id": event.pk,
            "title": event.title,
            "kind": event.kind,
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
            "council_only": event.council_only,
            "url": request.build_absolute_uri(
                reverse(
                    "life:calendar_month",
                    args=[residence.slug, event.starts_at.year, event.starts_at.month],
                )
            ),
        },
        status=201,
    )
