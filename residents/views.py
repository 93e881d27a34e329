from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from copro.lib.forms import add_service_errors

from . import selectors, services
from .access import Perm, Standing, access_residence
from .forms import (
    InvitationForm,
    JoinRequestForm,
    MembershipDecisionForm,
    PreferencesForm,
    ProfileForm,
)
from .models import MembershipStatus

LAST_RESIDENCE_KEY = "copro_residence"


def residence_view(perm: Perm = Perm.VIEW_RESIDENCE):
    """Scope a view to one residence through the access policy.

    Anonymous → login; not a member → 404; member without `perm` → 403. The view
    receives the resolved `Standing` instead of the slug.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, residence: str, *args, **kwargs):
            standing = access_residence(request.user, residence, perm)
            request.standing = standing
            if request.session.get(LAST_RESIDENCE_KEY) != residence:
                request.session[LAST_RESIDENCE_KEY] = residence
            return view(request, standing, *args, **kwargs)

        return wrapped

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to their last residence, or to the join page."""
    residences = list(selectors.switcher_residences(request.user))
    if not residences:
        return redirect("residents:join")
    last = request.session.get(LAST_RESIDENCE_KEY)
    target = next((r for r in residences if r.slug == last), residences[0])
    return redirect(selectors.entry_url(target))


@residence_view()
def dashboard(request: HttpRequest, standing: Standing) -> HttpResponse:
    from copro.dashboard import dashboard_context  # the home page gathers every app

    return render(request, "residents/dashboard.html", dashboard_context(standing))


@residence_view(Perm.VIEW_MEMBER_LIST)
def member_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(selectors.residence_members(standing.residence), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "residents/members.html",
        {
            "page": page,
            "pending": selectors.pending_requests(standing.residence)[:50],
            "can_manage": standing.can(Perm.MANAGE_MEMBERS),
            "assignable": {role.value for role in standing.assignable_roles()},
        },
    )


def _membership_or_404(standing: Standing, membership_id: int):
    membership = selectors.membership_in(standing.residence, membership_id)
    if membership is None:
        raise Http404
    return membership


@residence_view(Perm.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def membership_decide(
    request: HttpRequest, standing: Standing, membership_id: int
) -> HttpResponse:
    """Accept a pending request, or change an active member's role and lots."""
    membership = _membership_or_404(standing, membership_id)
    if not standing.may_decide_on(membership.role):
        raise PermissionDenied  # e.g. the council editing a council membership
    initial = {"role": membership.role, "lots": list(membership.lots.all())}
    form = MembershipDecisionForm(
        request.POST or None,
        residence=standing.residence,
        roles=standing.assignable_roles(),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        service = (
            services.membership_accept
            if membership.status == MembershipStatus.PENDING
            else services.membership_change
        )
        try:
            service(
                membership=membership,
                role=form.cleaned_data["role"],
                lots=form.cleaned_data["lots"],
                decided_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Membership saved."))
            return redirect("residents:members", standing.residence.slug)
    return render(
        request,
        "residents/membership_decide.html",
        {"membership": membership, "form": form},
    )


@residence_view(Perm.MANAGE_MEMBERS)
@require_POST
def membership_block(
    request: HttpRequest, standing: Standing, membership_id: int
) -> HttpResponse:
    membership = _membership_or_404(standing, membership_id)
    if not standing.may_decide_on(membership.role):
        raise PermissionDenied
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot block yourself."))
    else:
        services.membership_block(membership=membership, decided_by=request.user)
        messages.success(request, _("%(user)s is blocked.") % {"user": membership.user})
    return redirect("residents:members", standing.residence.slug)


@residence_view(Perm.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, standing: Standing) -> HttpResponse:
    form = InvitationForm(
        request.POST or None,
        residence=standing.residence,
        roles=standing.assignable_roles(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                residence=standing.residence,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                lots=form.cleaned_data["lots"],
                invited_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("residents:members", standing.residence.slug)
    return render(request, "residents/invite.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.join_request_create(
                user=request.user,
                join_code=form.cleaned_data["join_code"],
                role=form.cleaned_data["role"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your request to join %(residence)s was sent. You will get an "
                    "email once the syndic or the council accepts it."
                )
                % {"residence": membership.residence},
            )
            return redirect("residents:join")
    return render(
        request,
        "residents/join.html",
        {
            "form": form,
            "requests": request.user.memberships.select_related("residence").exclude(
                status=MembershipStatus.ACTIVE
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: anyone may read what it offers; accepting needs sign-in."""
    error = None
    try:
        found = services.invitation_from_token(token)
    except ValidationError as exc:
        found, error = None, exc.messages[0]
    else:
        error = services.invitation_problem(found)
    if request.method == "POST" and found is not None and error is None:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = services.invitation_accept(invitation=found, user=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(
                request, _("Welcome to %(residence)s.") % {"residence": found.residence}
            )
            return redirect(membership.residence.get_absolute_url())
    return render(
        request,
        "residents/invitation.html",
        {"invitation": found, "error": error},
        status=200 if error is None else 410,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("residents:profile")
    return render(request, "residents/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(
        request.POST or None,
        table=selectors.preference_table(request.user),
        initial={"email_digest": request.user.email_digest},
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            user=request.user,
            choices=form.choices(),
            email_digest=form.cleaned_data["email_digest"],
        )
        messages.success(request, _("Your preferences are saved."))
        return redirect("residents:preferences")
    return render(request, "residents/preferences.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, which also saves a signed-in person's choice."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES):
        services.profile_update(
            user=user,
            first_name=user.first_name,
            last_name=user.last_name,
            language=language,
        )
    return response
