"""The syndic's budgets: entering a year's budget, issuing its calls, each call's
split per lot and key, and the call notices (PDF) for co-owners and the syndic."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    DecimalField,
    Exists,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from copro.lib.forms import add_service_errors
from residents.access import Perm, Standing
from residents.views import residence_view

from . import notices, services
from .allocation import percent_of
from .forms_budget import WORKS_FUND_PERCENT, BudgetForm
from .models import Account, Budget, BudgetLine, Entry, EntryKind, FundCall
from .tasks import notify_calls_issued

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


# Reads, always scoped to the standing's residence.


def _budgets(standing: Standing):
    lines = (
        BudgetLine.objects.filter(budget=OuterRef("pk"))
        .values("budget")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Budget.objects.filter(residence=standing.residence)
        .annotate(
            lines_total=Coalesce(Subquery(lines, output_field=MONEY), ZERO),
            issued=Exists(FundCall.objects.filter(budget=OuterRef("pk"))),
        )
        .order_by("-year")
    )


def _budget(standing: Standing, year: int) -> Budget:
    budget = _budgets(standing).filter(year=year).first()
    if budget is None:
        raise Http404
    return budget


def _calls(standing: Standing):
    return FundCall.objects.filter(residence=standing.residence).select_related(
        "residence__syndic"
    )


# Views.


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def budget_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    budgets = list(_budgets(standing))
    for budget in budgets:
        budget.total = budget.lines_total + budget.works_fund
    return render(request, "finance/budget_list.html", {"budgets": budgets})


def _keys(standing: Standing):
    return list(standing.residence.allocation_keys.order_by("-is_general", "name"))


def _save(request, standing, form, budget=None) -> HttpResponse | None:
    """Save a valid form through the service; None when it was refused (the form
    then carries the reason)."""
    year = budget.year if budget else form.cleaned_data["year"]
    if (
        budget is None
        and Budget.objects.filter(residence=standing.residence, year=year).exists()
    ):
        form.add_error("year", _("There is already a budget for this year."))
        return None
    try:
        saved = services.budget_save(
            residence=standing.residence,
            year=year,
            lines=form.lines(),
            works_fund=form.cleaned_data["works_fund"],
            by=request.user,
            voted_on=form.cleaned_data["voted_on"],
            instalments_count=form.cleaned_data["instalments"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, _("The budget %(year)s is saved.") % {"year": year})
    minimum = form.works_fund_minimum()
    if saved.works_fund < minimum:
        messages.warning(
            request,
            _(
                "The fonds de travaux contribution (%(fund)s €) is below the legal "
                "minimum of 5 %% of the budget (%(minimum)s €)."
            )
            % {"fund": saved.works_fund, "minimum": minimum},
        )
    return redirect("finance:budget_edit", standing.residence.slug, saved.year)


def _hint(form: BudgetForm) -> Decimal | None:
    """The legal minimum of the fonds de travaux for the amounts shown (None while
    an amount is invalid)."""
    if form.is_bound:
        if any(form[form.key_field(k)].errors for k in form.keys):
            return None
        return form.works_fund_minimum()
    total = sum(
        (Decimal(str(form.initial.get(form.key_field(k)) or 0)) for k in form.keys),
        Decimal("0.00"),
    )
    return percent_of(total, WORKS_FUND_PERCENT)


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def budget_new(request: HttpRequest, standing: Standing) -> HttpResponse:
    keys = _keys(standing)
    if request.method == "POST":
        form = BudgetForm(request.POST, keys=keys)
        if form.is_valid():
            response = _save(request, standing, form)
            if response is not None:
                return response
    else:
        latest = Budget.objects.filter(residence=standing.residence).first()
        year = (latest.year + 1) if latest else timezone.localdate().year + 1
        form = BudgetForm(keys=keys, initial={"year": year, "instalments": 4})
    return render(
        request,
        "finance/budget_form.html",
        {"form": form, "budget": None, "minimum": _hint(form)},
    )


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, standing: Standing, year: int) -> HttpResponse:
    budget = _budget(standing, year)
    keys = _keys(standing)
    lines = {line.key_id: line.amount for line in budget.lines.all()}
    if budget.issued:
        if request.method == "POST":
            messages.error(
                request,
                _("The calls of this budget are issued: it can no longer change."),
            )
            return redirect("finance:budget_edit", standing.residence.slug, year)
        calls = list(budget.calls.order_by("period"))
        rows = [(key, lines.get(key.pk, Decimal("0.00"))) for key in keys]
        return render(
            request,
            "finance/budget_detail.html",
            {
                "budget": budget,
                "rows": rows,
                "total": budget.lines_total + budget.works_fund,
                "calls": calls,
                "calls_total": sum((c.total for c in calls), Decimal("0.00")),
            },
        )
    initial = {
        "year": budget.year,
        "voted_on": budget.voted_on,
        "works_fund": budget.works_fund,
        "instalments": budget.instalments,
        **{
            BudgetForm.key_field(key): lines.get(key.pk, Decimal("0.00"))
            for key in keys
        },
    }
    if request.method == "POST":
        data = request.POST.copy()
        form = BudgetForm(data, keys=keys, year_fixed=True, initial=initial)
        if form.is_valid():
            response = _save(request, standing, form, budget)
            if response is not None:
                return response
    else:
        form = BudgetForm(keys=keys, year_fixed=True, initial=initial)
    return render(
        request,
        "finance/budget_form.html",
        {"form": form, "budget": budget, "minimum": _hint(form)},
    )


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def budget_issue(request: HttpRequest, standing: Standing, year: int) -> HttpResponse:
    """Confirm, then issue the budget's calls; the co-owners are notified once the
    calls are committed. Issuing twice issues (and notifies) once."""
    budget = _budget(standing, year)
    if request.method == "POST":
        if budget.issued:
            messages.info(request, _("The calls of this budget were already issued."))
            return redirect("finance:budget_edit", standing.residence.slug, year)
        try:
            with transaction.atomic():
                # Two clicks at once: the second waits here, then finds the calls.
                locked = Budget.objects.select_for_update().get(pk=budget.pk)
                if locked.calls.exists():
                    messages.info(
                        request, _("The calls of this budget were already issued.")
                    )
                    return redirect(
                        "finance:budget_edit", standing.residence.slug, year
                    )
                calls = services.budget_calls_issue(budget=locked, by=request.user)
                ids = [call.pk for call in calls]
                transaction.on_commit(lambda: notify_calls_issued.delay(ids))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("finance:budget_edit", standing.residence.slug, year)
        messages.success(
            request,
            _("%(count)s calls were issued; the co-owners are notified.")
            % {"count": len(calls)},
        )
        return redirect("finance:budget_edit", standing.residence.slug, year)
    return render(
        request,
        "finance/budget_issue.html",
        {"budget": budget, "total": budget.lines_total + budget.works_fund},
    )


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def call_detail(request: HttpRequest, standing: Standing, call_id: int) -> HttpResponse:
    """The call's split per lot and key, the check that the shares add up to the
    total, and each co-owner's notice (four queries whatever the number of lots)."""
    call = _calls(standing).filter(pk=call_id).first()
    if call is None:
        raise Http404
    lots = notices.shares_by_lot(notices.call_shares(call))
    shares_total = sum((group.total for group in lots), Decimal("0.00"))
    entries = list(
        Entry.objects.filter(call=call, kind=EntryKind.CALL)
        .select_related("account__owner")
        .order_by("account__owner__last_name", "account__owner__first_name", "pk")
    )
    return render(
        request,
        "finance/call_detail.html",
        {
            "call": call,
            "lots": lots,
            "shares_total": shares_total,
            "balanced": shares_total == call.total,
            "entries": entries,
        },
    )


@residence_view()
@require_GET
def call_notice(request: HttpRequest, standing: Standing, call_id: int) -> HttpResponse:
    """The notice PDF: a co-owner's own; the syndic's for `?account=<id>`."""
    wanted = request.GET.get("account", "")
    if wanted and not wanted.isdigit():
        raise Http404
    accounts = Account.objects.filter(residence=standing.residence).select_related(
        "owner", "residence"
    )
    if standing.can(Perm.MANAGE_FINANCE):
        if not wanted:
            raise Http404
        account = accounts.filter(pk=wanted).first()
    elif standing.is_owner:
        account = accounts.filter(owner=standing.user).first()
        if account is not None and wanted and int(wanted) != account.pk:
            raise Http404  # another co-owner's notice
    else:
        raise PermissionDenied  # tenants pay their landlord, not the syndicat
    call = _calls(standing).filter(pk=call_id).first()
    if account is None or call is None:
        raise Http404
    context = notices.notice_context(call, account)
    if context is None:
        raise Http404
    response = HttpResponse(notices.notice_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{notices.pdf_filename(context)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
