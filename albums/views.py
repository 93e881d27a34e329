from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from copro.lib.files import serve_private
from residents.access import Perm, Standing
from residents.views import residence_view

from . import selectors, services
from .forms import AlbumForm, PhotoForm, UploadForm
from .models import Album, Photo

ALBUMS_PER_PAGE = 12
PHOTOS_PER_PAGE = 40


def _album_or_404(standing: Standing, album_id: int) -> Album:
    album = selectors.albums_for(standing).filter(pk=album_id).first()
    if album is None:
        raise Http404
    return album


def _photo_or_404(standing: Standing, photo_id: int) -> Photo:
    photo = selectors.photos_for(standing).filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    return photo


@residence_view()
@require_GET
def album_list(request: HttpRequest, standing: Standing) -> HttpResponse:
    page = Paginator(selectors.album_list(standing), ALBUMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "albums/album_list.html",
        {"page": page, "can_manage": standing.can(Perm.MANAGE_ALBUMS)},
    )


@residence_view()
@require_GET
def album_detail(request: HttpRequest, standing: Standing, album_id: int):
    album = _album_or_404(standing, album_id)
    page = Paginator(selectors.album_photos(album), PHOTOS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "albums/album_detail.html",
        {
            "album": album,
            "page": page,
            "can_manage": standing.can(Perm.MANAGE_ALBUMS),
        },
    )


@residence_view(Perm.MANAGE_ALBUMS)
@require_http_methods(["GET", "POST"])
def album_edit(
    request: HttpRequest, standing: Standing, album_id: int | None = None
) -> HttpResponse:
    album = None if album_id is None else _album_or_404(standing, album_id)
    form = AlbumForm(request.POST or None, instance=album)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            if album is None:
                album = services.album_create(
                    residence=standing.residence, created_by=request.user, **data
                )
            else:
                album = services.album_update(album=album, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The album is saved."))
            return redirect("albums:detail", standing.residence.slug, album.pk)
    return render(request, "albums/album_form.html", {"form": form, "album": album})


@residence_view(Perm.MANAGE_ALBUMS)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, standing: Standing, album_id: int) -> HttpResponse:
    album = _album_or_404(standing, album_id)
    # Bound on every POST: a POST without any file must say so, not show a blank form.
    form = (
        UploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else UploadForm()
    )
    if request.method == "POST" and form.is_valid():
        try:
            photos = services.photos_upload(
                album=album,
                uploaded_by=request.user,
                files=form.cleaned_data["photos"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("photos", message)
        else:
            count = len(photos)
            messages.success(
                request,
                ngettext("%(count)s photo added.", "%(count)s photos added.", count)
                % {"count": count},
            )
            return redirect("albums:detail", standing.residence.slug, album.pk)
    return render(request, "albums/upload_form.html", {"form": form, "album": album})


@residence_view()
@require_GET
def photo_file(request: HttpRequest, standing: Standing, photo_id: int):
    photo = _photo_or_404(standing, photo_id)
    return serve_private(photo.image, filename=photo.original_name)


@residence_view()
@require_GET
def thumbnail_file(
    request: HttpRequest, standing: Standing, photo_id: int
) -> FileResponse:
    photo = _photo_or_404(standing, photo_id)
    return serve_private(photo.thumbnail, filename=f"thumb-{photo.original_name}")


@residence_view(Perm.MANAGE_ALBUMS)
@require_http_methods(["GET", "POST"])
def photo_edit(request: HttpRequest, standing: Standing, photo_id: int):
    photo = _photo_or_404(standing, photo_id)
    form = PhotoForm(
        request.POST or None,
        instance=photo,
        initial={"make_cover": photo.album.cover_id == photo.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_update(
                photo=photo,
                caption=form.cleaned_data["caption"],
                make_cover=form.cleaned_data["make_cover"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The photo is saved."))
            return redirect("albums:detail", standing.residence.slug, photo.album_id)
    return render(request, "albums/photo_form.html", {"form": form, "photo": photo})


@residence_view(Perm.MANAGE_ALBUMS)
@require_http_methods(["GET", "POST"])
def photo_delete(request: HttpRequest, standing: Standing, photo_id: int):
    """GET asks for confirmation; POST deletes."""
    photo = _photo_or_404(standing, photo_id)
    if request.method == "POST":
        services.photo_delete(photo=photo)
        messages.success(request, _("The photo is deleted."))
        return redirect("albums:detail", standing.residence.slug, photo.album_id)
    return render(request, "albums/photo_delete.html", {"photo": photo})
