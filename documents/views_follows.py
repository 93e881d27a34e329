"""The page where each member picks the document categories they follow."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from residents.access import Standing
from residents.views import residence_view

from . import follows as follows_module


class FollowsForm(forms.Form):
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Categories you follow"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [
            choice for _label, choices in groups for choice in choices
        ]


@residence_view()
@require_http_methods(["GET", "POST"])
def follows(request: HttpRequest, standing: Standing) -> HttpResponse:
    groups = follows_module.followable_categories(standing)
    followed = follows_module.followed_categories(standing)
    # Unticking every box posts no category at all: still a bound form.
    data = request.POST if request.method == "POST" else None
    form = FollowsForm(data, groups=groups, initial={"categories": sorted(followed)})
    if request.method == "POST" and form.is_valid():
        try:
            follows_module.category_follows_set(
                user=request.user,
                residence=standing.residence,
                categories=form.cleaned_data["categories"],
                offered=[value for _label, choices in groups for value, _ in choices],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your followed categories are saved."))
            return redirect("documents:follows", standing.residence.slug)
    selected = set(form["categories"].value() or []) if form.is_bound else followed
    return render(
        request,
        "documents/follows.html",
        {"form": form, "groups": groups, "selected": selected},
    )
