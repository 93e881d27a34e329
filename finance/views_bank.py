"""The syndic's bank screens: the review queue of statement lines, importing a
statement, posting or ignoring a line (or every proposed one), and recording a
transfer or a cheque by hand. All under `Perm.MANAGE_FINANCE`."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from copro.lib.forms import add_service_errors
from residents.access import Perm, Standing
from residents.views import residence_view

from . import banking
from .forms_bank import (
    LineAccountForm,
    LineFilterForm,
    ManualPaymentForm,
    StatementUploadForm,
    account_label,
    statement_max_bytes,
)
from .models import BankLineStatus

PER_PAGE = 25


def _queue_url(standing: Standing, request: HttpRequest) -> str:
    """Back to the queue as the syndic left it (its filter and page)."""
    url = reverse("finance:bank", args=[standing.residence.slug])
    status = LineFilterForm(request.POST).status_value()
    page = request.POST.get("page", "")
    query = {"status": status} if status != banking.TO_REVIEW else {}
    if page.isdigit() and page != "1":
        query["page"] = page
    return f"{url}?{urlencode(query)}" if query else url


def _line(standing: Standing, pk: int):
    line = banking.line_of(standing.residence, pk)
    if line is None:
        raise Http404
    return line


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def bank(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The queue: statement lines by status, each with the co-owner proposed."""
    residence = standing.residence
    filters = LineFilterForm(request.GET)
    status = filters.status_value()
    page = Paginator(banking.lines_of(residence, status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = {"status": status} if status != banking.TO_REVIEW else {}
    counts = banking.status_counts(residence)
    lines = list(page.object_list)
    hand = banking.hand_payments_near(residence, lines)
    for line in lines:
        line.hand = hand.get(line.pk, [])
    context = {
        "filters": filters,
        "status": status,
        "page": page,
        "query_string": urlencode(query),
        "counts": counts,
        "status_choices": [
            (value, label, counts.get(value))
            for value, label in filters.fields["status"].choices
        ],
        "lines": lines,
        "accounts": [(a.pk, account_label(a)) for a in banking.accounts_of(residence)],
        "statuses": BankLineStatus,
    }
    return render(request, "finance/bank_queue.html", context)


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def bank_import(request: HttpRequest, standing: Standing) -> HttpResponse:
    residence = standing.residence
    form = StatementUploadForm()
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = banking.statement_import(
                    residence=residence, file=form.cleaned_data["file"], by=request.user
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                messages.success(request, _summary(report))
                return redirect("finance:bank", residence.slug)
    context = {
        "form": form,
        "imports": banking.recent_imports(residence),
        "max_bytes": statement_max_bytes(),
    }
    return render(request, "finance/bank_import.html", context)


def _summary(report: banking.ImportReport) -> str:
    if not report.created:
        return _(
            "This statement was already imported on %(date)s: nothing changed."
        ) % {
            "date": date_format(
                timezone.localtime(report.statement.imported_at), "SHORT_DATE_FORMAT"
            )
        }
    return ngettext(
        "%(read)s transaction read: %(new)s new credit line (%(proposed)s with a "
        "co-owner proposed), %(known)s already imported, %(skipped)s debit or "
        "pending entry skipped.",
        "%(read)s transactions read: %(new)s new credit lines (%(proposed)s with a "
        "co-owner proposed), %(known)s already imported, %(skipped)s debits or "
        "pending entries skipped.",
        report.read,
    ) % {
        "read": report.read,
        "new": report.new,
        "proposed": report.proposed,
        "known": report.known,
        "skipped": report.skipped,
    }


@residence_view(Perm.MANAGE_FINANCE)
@require_POST
def bank_line_post(request: HttpRequest, standing: Standing, pk: int) -> HttpResponse:
    line = _line(standing, pk)
    form = LineAccountForm(
        request.POST, accounts=banking.accounts_of(standing.residence)
    )
    if not form.is_valid():
        messages.error(request, _("Choose the co-owner this payment comes from."))
        return redirect(_queue_url(standing, request))
    if line.status == BankLineStatus.POSTED:
        messages.info(request, _("This line was already posted."))
        return redirect(_queue_url(standing, request))
    try:
        payment = banking.line_post(
            line=line, account=form.cleaned_data["account"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(amount)s € posted to %(owner)s's account.")
            % {"amount": payment.amount, "owner": payment.account.owner},
        )
    return redirect(_queue_url(standing, request))


@residence_view(Perm.MANAGE_FINANCE)
@require_POST
def bank_line_ignore(request: HttpRequest, standing: Standing, pk: int) -> HttpResponse:
    line = _line(standing, pk)
    try:
        banking.line_ignore(line=line, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The line is ignored: it left the queue."))
    return redirect(_queue_url(standing, request))


@residence_view(Perm.MANAGE_FINANCE)
@require_POST
def bank_post_proposed(request: HttpRequest, standing: Standing) -> HttpResponse:
    count = banking.proposed_lines_post(residence=standing.residence, by=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s proposed line posted.",
                "%(count)s proposed lines posted.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("There was no proposed line to post."))
    return redirect(_queue_url(standing, request))


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def bank_manual(request: HttpRequest, standing: Standing) -> HttpResponse:
    """A transfer or a cheque received, typed in by hand."""
    residence = standing.residence
    accounts = banking.accounts_of(residence)
    form = ManualPaymentForm(accounts=accounts)
    if request.method == "POST":
        form = ManualPaymentForm(request.POST, accounts=accounts)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = banking.manual_payment_record(
                    account=data["account"],
                    amount=data["amount"],
                    method=data["method"],
                    on=data["on"],
                    reference=data["reference"],
                    by=request.user,
                    token=data["token"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    form.add_error(None, error)
                else:
                    add_service_errors(form, error)
            else:
                if payment is None:
                    messages.info(request, _("This payment was already recorded."))
                else:
                    messages.success(
                        request,
                        _("%(amount)s € recorded on %(owner)s's account.")
                        % {"amount": payment.amount, "owner": data["account"].owner},
                    )
                return redirect("finance:bank_manual", residence.slug)
    context = {"form": form, "recent": banking.recent_manual_payments(residence)}
    return render(request, "finance/bank_manual.html", context)
