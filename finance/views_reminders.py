"""Payment reminders: the syndic's settings and the reminders sent, a co-owner's
formal notice (PDF), and the overdue total for the council."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from copro.lib.forms import add_service_errors
from residents.access import Perm, Standing
from residents.views import residence_view

from . import formal_notice, overdue, reminders
from .forms_reminders import ReminderPolicyForm

PAGE_SIZE = 50


@residence_view(Perm.MANAGE_FINANCE)
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The residence's reminder settings (saved on first change) and every reminder
    sent, newest first."""
    residence = standing.residence
    policy = reminders.policy_of(residence)
    if request.method == "POST":
        form = ReminderPolicyForm(request.POST)
        if form.is_valid():
            try:
                reminders.reminder_policy_save(
                    residence=residence, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The reminder settings are saved."))
                return redirect("finance:reminders", residence.slug)
    else:
        form = ReminderPolicyForm(initial=ReminderPolicyForm.initial_from(policy))
    page = Paginator(reminders.reminders_sent(residence), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "finance/reminders.html",
        {
            "form": form,
            "policy": policy,
            "page": page,
            "overdue": overdue.council_overdue(standing, policy=policy),
        },
    )


@residence_view()
@require_GET
def formal_notice_pdf(
    request: HttpRequest, standing: Standing, reminder_id: int
) -> HttpResponse:
    """A formal notice: the co-owner's own, any of the residence's for the syndic;
    404 for everyone else."""
    reminder = formal_notice.formal_notice_of(standing, reminder_id)
    if reminder is None:
        raise Http404
    context = formal_notice.notice_context(reminder)
    response = HttpResponse(
        formal_notice.notice_pdf(context), content_type="application/pdf"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{formal_notice.pdf_filename(context)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@residence_view()
@require_GET
def overdue_total(request: HttpRequest, standing: Standing) -> HttpResponse:
    """The residence's overdue charges: the total for the council, the names when
    the residence's rules allow it (always for the syndic)."""
    figures = overdue.council_overdue(standing)
    if figures is None:
        raise PermissionDenied
    return render(request, "finance/overdue.html", {"overdue": figures})
