"""The syndic's exceptional calls (works voted at an AG, on their own schedule) and
the year-end regularisation of a budget (approved accounts, preview, posting)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Min, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from residents.access import Perm, Standing
from residents.models import LotShare
from residents.views import residence_view

from . import regularisation, works_calls
from .forms_works import ClosingForm, WorksCallForm
from .models import Budget, CallShare, FundCall, WorksCall, YearClosing

# Reads, always scoped to the standing's residence.


def _works(standing: Standing):
    today = timezone.localdate()
    return (
        WorksCall.objects.filter(residence=standing.residence)
        .select_related("key")
        .annotate(
            instalments=Count("calls"),
            next_due=Min("calls__due_on", filter=Q(calls__due_on__gte=today)),
        )
        .order_by("-decided_on", "-pk")
    )


def _keys(standing: Standing):
    return standing.residence.allocation_keys.order_by("-is_general", "name")


def _budget(standing: Standing, year: int) -> Budget:
    budget = (
        Budget.objects.filter(residence=standing.residence, year=year)
        .select_related("residence")
        .first()
    )
    if budget is None:
        raise Http404
    return budget


def _closing(budget: Budget) -> YearClosing | None:
    return (
        YearClosing.objects.filter(budget=budget)
        .select_related("budget__residence", "posted_by")
        .first()
    )


# Works calls.


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def works_calls_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    return render(request, "finance/works_list.html", {"works": list(_works(standing))})


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def works_call_new(request: HttpRequest, standing: Standing) -> HttpResponse:
    """Enter works voted at an AG and their schedule; "preview" shows the
    instalments without issuing anything, "issue" issues the calls (a double
    submission issues them once)."""
    keys = _keys(standing)
    plan = bearers = None
    if request.method == "POST":
        form = WorksCallForm(request.POST, keys=keys)
        if form.is_valid():
            data = form.cleaned_data
            try:
                schedule = form.schedule()
                if request.POST.get("action") == "preview":
                    plan = works_calls.schedule_amounts(
                        data["total"], schedule, decided_on=data["decided_on"]
                    )
                    bearers = LotShare.objects.filter(key=data["key"]).aggregate(
                        lots=Count("pk"), units=Sum("units")
                    )
                else:
                    works = works_calls.works_call_create(
                        residence=standing.residence,
                        label=data["label"],
                        decided_on=data["decided_on"],
                        key=data["key"],
                        total=data["total"],
                        schedule=schedule,
                        by=request.user,
                    )
                    messages.success(
                        request,
                        _(
                            "The calls for “%(works)s” are issued; the co-owners "
                            "are notified."
                        )
                        % {"works": works.label},
                    )
                    return redirect(
                        "finance:works_call", standing.residence.slug, works.pk
                    )
            except ValidationError as error:
                form.add_error(None, error)
                plan = None
    else:
        form = WorksCallForm(keys=keys)
    return render(
        request,
        "finance/works_form.html",
        {
            "form": form,
            "plan": plan,
            "plan_total": sum((a for _d, a in plan), Decimal("0.00")) if plan else None,
            "bearers": bearers,
        },
    )


@residence_view(Perm.MANAGE_FINANCE)
@require_GET
def works_call_detail(
    request: HttpRequest, standing: Standing, works_id: int
) -> HttpResponse:
    """The works' instalments (each links to its split and notices) and what each
    lot bears in all (four queries whatever the number of lots)."""
    works = _works(standing).filter(pk=works_id).first()
    if works is None:
        raise Http404
    calls = list(works.calls.order_by("period"))
    lots = list(
        CallShare.objects.filter(call__works=works)
        .values("lot__number", "units", "key_units")
        .annotate(amount=Sum("amount"))
        .order_by("lot__number")
    )
    called = sum((call.total for call in calls), Decimal("0.00"))
    return render(
        request,
        "finance/works_detail.html",
        {
            "works": works,
            "calls": calls,
            "lots": lots,
            "called": called,
            "lots_total": sum((row["amount"] for row in lots), Decimal("0.00")),
        },
    )


# Year-end regularisation.


def _closing_form(request, budget, closing, keys):
    budgeted = {line.key_id: line.amount for line in budget.lines.all()}
    if request.method == "POST":
        return ClosingForm(request.POST, keys=keys, budgeted=budgeted)
    initial = {}
    if closing is not None:
        actuals = {line.key_id: line.actual for line in closing.lines.all()}
        initial["approved_on"] = closing.approved_on
        for key in keys:
            if key.pk in actuals or key.pk in budgeted:
                initial[ClosingForm.key_field(key)] = actuals.get(
                    key.pk, Decimal("0.00")
                )
    return ClosingForm(keys=keys, budgeted=budgeted, initial=initial)


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def closing_detail(request: HttpRequest, standing: Standing, year: int) -> HttpResponse:
    """The approved accounts of a budget (editable until posted) and the preview of
    the regularisation per key, lot and co-owner."""
    budget = _budget(standing, year)
    closing = _closing(budget)
    posted = closing is not None and closing.posted_at is not None
    if posted and request.method == "POST":
        messages.error(
            request,
            _(
                "The regularisation is posted: the approved accounts can no "
                "longer change."
            ),
        )
        return redirect("finance:closing", standing.residence.slug, year)
    form = None
    if not posted:
        keys = list(_keys(standing))
        form = _closing_form(request, budget, closing, keys)
        if request.method == "POST" and form.is_valid():
            try:
                regularisation.closing_save(
                    budget=budget,
                    approved_on=form.cleaned_data["approved_on"],
                    actuals=form.actuals(),
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The approved accounts are saved."))
                return redirect("finance:closing", standing.residence.slug, year)
    return render(
        request,
        "finance/closing_detail.html",
        {
            "budget": budget,
            "closing": closing,
            "form": form,
            "issued": FundCall.objects.filter(budget=budget).exists(),
            "preview": regularisation.closing_preview(closing) if closing else None,
        },
    )


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def closing_post(request: HttpRequest, standing: Standing, year: int) -> HttpResponse:
    """Confirm, then post one regularisation entry per co-owner. Posting twice
    posts nothing new."""
    budget = _budget(standing, year)
    closing = _closing(budget)
    if closing is None:
        raise Http404
    if request.method == "POST":
        if closing.posted_at:
            messages.info(request, _("The regularisation was already posted."))
            return redirect("finance:closing", standing.residence.slug, year)
        try:
            entries = regularisation.closing_post(closing=closing, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext(
                    "The regularisation is posted to %(count)s co-owner account.",
                    "The regularisation is posted to %(count)s co-owner accounts.",
                    len(entries),
                )
                % {"count": len(entries)},
            )
        return redirect("finance:closing", standing.residence.slug, year)
    return render(
        request,
        "finance/closing_post.html",
        {
            "budget": budget,
            "closing": closing,
            "issued": FundCall.objects.filter(budget=budget).exists(),
            "preview": regularisation.closing_preview(closing),
        },
    )
