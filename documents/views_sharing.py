"""Bulk ZIP downloads and share links (issue #4, §4).

Member views go through `residence_view`; the two public views (`s/<token>/…`) need
no account and show nothing but the shared documents: no member's name, no referrer
sent onwards, not indexed.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.files import serve_private
from copro.lib.forms import add_service_errors
from copro.lib.http import client_ip
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, sharing, zips
from .categories import Category
from .models import Document, ShareLink

PAGE_SIZE = 25
ACCESS_PAGE_SIZE = 50


# --- Forms ---------------------------------------------------------------------------


class ShareForm(forms.Form):
    documents = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Documents to share"),
        queryset=Document.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    label = forms.CharField(
        label=gettext_lazy("For whom"),
        max_length=200,
        help_text=gettext_lazy("e.g. Maître Durand, notary: sale of lot 12."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("At most 90 days from today."),
    )
    password = forms.CharField(
        label=gettext_lazy("Password (optional)"),
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
        help_text=gettext_lazy("Send it separately from the link, e.g. by phone."),
    )
    max_downloads = forms.IntegerField(
        label=gettext_lazy("Maximum number of downloads (optional)"),
        required=False,
        min_value=1,
        max_value=10_000,
    )

    def __init__(self, *args, documents: QuerySet[Document], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = documents
        today = timezone.localdate()
        self.fields["expires_on"].widget.attrs.update(
            min=today.isoformat(),
            max=(today + timedelta(days=sharing.MAX_DAYS)).isoformat(),
        )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


# --- Bulk ZIP ------------------------------------------------------------------------


def _library_url(request: HttpRequest, standing: Standing) -> str:
    """Back to the library page the member came from (its filters re-encoded, never
    an address taken as it is)."""
    url = reverse("documents:library", args=[standing.residence.slug])
    query = QueryDict(request.POST.get("query", "")[:1000]).urlencode()
    return f"{url}?{query}" if query else url


@residence_view()
@require_POST
def zip_download(request: HttpRequest, standing: Standing) -> HttpResponse:
    """One ZIP of the ticked documents, of this page ("scope=page"), or of a whole
    category; only what this member may see goes in."""
    category = request.POST.get("category", "")
    category = category if category in Category.values else ""
    field = "page_documents" if request.POST.get("scope") == "page" else "documents"
    ids = zips.parse_ids(request.POST.getlist(field))
    documents = zips.zip_selection(standing, ids=ids, category=category)
    size = zips.size_of(documents)
    back = _library_url(request, standing)
    if size.count == 0:
        messages.error(request, _("Nothing to download: select at least one document."))
        return redirect(back)
    if size.too_large:
        messages.error(
            request,
            _("That is too much for one ZIP: select fewer documents."),
        )
        return redirect(back)
    if not size.streamable:
        zips.zip_request(standing=standing, ids=ids, category=category)
        messages.success(
            request,
            _(
                "Your ZIP is being prepared. You will be notified with a link to "
                "download it, valid for %(hours)s hours."
            )
            % {"hours": zips.link_hours()},
        )
        return redirect(back)
    response = StreamingHttpResponse(
        zips.stream_zip(zips.entry_names(documents)), content_type="application/zip"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, zips.zip_filename(standing)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@residence_view()
@require_GET
def zip_ready(request: HttpRequest, standing: Standing, token: str) -> HttpResponse:
    """A ZIP built by the task: only the member it was built for, for 24 hours."""
    try:
        name = zips.zip_for(standing, token)
    except zips.ZipGone:
        return render(
            request,
            "documents/zip_expired.html",
            {"hours": zips.link_hours()},
            status=410,
        )
    if name is None:
        raise Http404
    response = serve_private(
        _StoredFile(zips.zip_storage(), name),
        filename=zips.zip_filename(standing),
        inline=False,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class _StoredFile:
    """Just enough of a FieldFile for `serve_private`: a name and `open()`."""

    def __init__(self, storage, name: str) -> None:
        self.storage, self.name = storage, name

    def __bool__(self) -> bool:
        return True

    def open(self, mode: str = "rb"):
        return self.storage.open(self.name, mode)


# --- Share links: the council's and syndic's side ------------------------------------


def _links_or_403(standing: Standing) -> QuerySet[ShareLink]:
    """The council and the syndic manage links; anyone else only reaches the links
    they created themselves (if they left the council since) and gets 403 if none."""
    links = sharing.share_links(standing)
    if not standing.can(Perm.MANAGE_DOCUMENTS) and not links.exists():
        raise PermissionDenied
    return links


def _link_or_404(standing: Standing, link_id: int) -> ShareLink:
    link = _links_or_403(standing).filter(pk=link_id).first()
    if link is None:
        raise Http404
    return link


@residence_view()
@require_GET
def share_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    links = _links_or_403(standing)
    page = Paginator(links, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for link in page:
        state = sharing.state_of(link, now)
        rows.append((link, state, sharing.STATE_LABELS[state]))
    return render(
        request,
        "documents/share_list.html",
        {
            "page": page,
            "rows": rows,
            "can_manage": standing.can(Perm.MANAGE_DOCUMENTS),
        },
    )


@residence_view(Perm.MANAGE_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def share_create(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The ticked documents arrive as `documents` (posted from the library with
    `step=choose`, or in the address from a document's page); only those this member
    may see can be shared."""
    data = request.POST if request.method == "POST" else request.GET
    ids = zips.parse_ids(data.getlist("documents"))[:200]
    documents = selectors.library(standing).filter(pk__in=ids).order_by("title")
    # From the library's "Share the selection": show the form, create nothing yet.
    submitted = request.method == "POST" and data.get("step") != "choose"
    form = ShareForm(
        request.POST if submitted else None,
        documents=documents,
        initial={
            "documents": ids,
            "expires_on": timezone.localdate() + timedelta(days=30),
        },
    )
    if submitted and form.is_valid():
        try:
            link = sharing.share_link_create(
                residence=standing.residence,
                by=request.user,
                documents=list(form.cleaned_data["documents"]),
                label=form.cleaned_data["label"],
                expires_on=form.cleaned_data["expires_on"],
                password=form.cleaned_data["password"],
                max_downloads=form.cleaned_data["max_downloads"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The link is ready: copy it and send it to its recipient.")
            )
            return redirect("documents:share_detail", standing.residence.slug, link.pk)
    return render(
        request,
        "documents/share_new.html",
        {"form": form, "has_documents": bool(form.fields["documents"].choices)},
    )


@residence_view()
@require_GET
def share_detail(
    request: HttpRequest, standing: Standing, link_id: int
) -> HttpResponse:
    link = _link_or_404(standing, link_id)
    state = sharing.state_of(link)
    accesses = Paginator(sharing.accesses_of(link), ACCESS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "documents/share_detail.html",
        {
            "link": link,
            "state": state,
            "state_label": sharing.STATE_LABELS[state],
            "page": accesses,
            "public_url": request.build_absolute_uri(
                reverse("documents:share_public", args=[link.token])
            ),
        },
    )


@residence_view()
@require_POST
def share_revoke(
    request: HttpRequest, standing: Standing, link_id: int
) -> HttpResponse:
    link = _link_or_404(standing, link_id)
    sharing.share_link_revoke(link=link)
    messages.success(request, _("The link is revoked: it no longer opens anything."))
    return redirect("documents:share_detail", standing.residence.slug, link.pk)


# --- Share links: the public side ----------------------------------------------------


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def _public(response: HttpResponse) -> HttpResponse:
    """Nothing of the address travels onwards, nothing is indexed or kept."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def _unlocked_key(link: ShareLink) -> str:
    return f"share-unlocked:{link.pk}"


def _unlocked(request: HttpRequest, link: ShareLink) -> bool:
    return not link.password_hash or request.session.get(_unlocked_key(link)) is True


def _gone(request: HttpRequest, state: str, *, status: int = 410) -> HttpResponse:
    return _public(
        render(request, "documents/share_gone.html", {"reason": state}, status=status)
    )


def _log(request: HttpRequest, link: ShareLink, outcome: str, document=None) -> None:
    sharing.share_access_log(
        link=link,
        outcome=outcome,
        ip=client_ip(request),
        user_agent=_user_agent(request),
        document=document,
    )


@require_http_methods(["GET", "POST"])
def share_public(request: HttpRequest, token: str) -> HttpResponse:
    """What a notary or a bank sees: the password form first if there is one, then
    the shared documents with their sizes."""
    link = sharing.public_link(token)
    if link is None:
        return _gone(request, "unknown", status=404)
    state = sharing.state_of(link)
    if state != sharing.State.ACTIVE:
        _log(request, link, sharing.REFUSAL[state])
        return _gone(request, state)
    if not _unlocked(request, link):
        return _password(request, link)
    if request.method == "POST":  # already unlocked: nothing to post
        return _public(redirect("documents:share_public", link.token))
    _log(request, link, sharing.Outcome.OPENED)
    remaining = None
    if link.max_downloads is not None:
        remaining = link.max_downloads - link.download_count
    return _public(
        render(
            request,
            "documents/share_public.html",
            {
                "link": link,
                "documents": sharing.shared_documents(link),
                "residence_name": link.residence.name,
                "remaining": remaining,
            },
        )
    )


def _password(request: HttpRequest, link: ShareLink) -> HttpResponse:
    ip = client_ip(request)
    blocked = sharing.password_blocked(link, ip)
    form = PasswordForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and not blocked and form.is_valid():
        if sharing.password_check(link, form.cleaned_data["password"], ip):
            request.session.cycle_key()
            request.session[_unlocked_key(link)] = True
            return _public(redirect("documents:share_public", link.token))
        _log(request, link, sharing.Outcome.BAD_PASSWORD)
        form.add_error("password", _("That is not the password."))
        blocked = sharing.password_blocked(link, ip)
    elif request.method == "POST" and blocked:
        _log(request, link, sharing.Outcome.BAD_PASSWORD)
    if blocked:
        status = 429
    return _public(
        render(
            request,
            "documents/share_password.html",
            {
                "form": form,
                "blocked": blocked,
                "minutes": sharing.PASSWORD_WINDOW // 60,
            },
            status=status,
        )
    )


@require_GET
def share_public_download(
    request: HttpRequest, token: str, document_id: int
) -> HttpResponse:
    """One download through the link: counted atomically, logged, refused plainly
    once the link is expired, revoked or used up."""
    link = sharing.public_link(token)
    if link is None:
        return _gone(request, "unknown", status=404)
    state = sharing.state_of(link)
    document = sharing.shared_documents(link).filter(pk=document_id).first()
    if state != sharing.State.ACTIVE:
        _log(request, link, sharing.REFUSAL[state], document)
        return _gone(request, state)
    if not _unlocked(request, link):
        return _public(redirect("documents:share_public", link.token))
    if document is None:
        return _gone(request, "unavailable", status=404)
    state = sharing.share_download_count(link=link)
    if state != sharing.State.ACTIVE:
        _log(request, link, sharing.REFUSAL[state], document)
        return _gone(request, state)
    _log(request, link, sharing.Outcome.DOWNLOADED, document)
    version = document.current_version
    return _public(
        serve_private(version.file, filename=version.original_name, inline=False)
    )
