"""Adding documents, new versions, archiving; keeping the search index current."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.lib import search
from copro.lib.files import FilesWritten, delete_on_commit
from copro.lib.uploads import CleanDocument, safe_name
from residents.models import Lot, Residence, User

from .categories import Category
from .follows import notify_followers
from .models import Document, DocumentVersion, SignatureStatus, Visibility

METADATA = ("title", "category", "description", "tags", "date", "visibility")


def normalise_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        tag = " ".join(tag.split()).lower()[:40]
        if tag:
            seen.setdefault(tag)
    return list(seen)[:20]


def _title_from(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem.replace("_", " ").strip()[:200] or _("Document")


def _add_version(
    document: Document,
    upload: CleanDocument,
    *,
    by: User,
    note: str,
    number: int,
    files: FilesWritten,
) -> DocumentVersion:
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=upload.original_name,
        content_type=upload.content_type,
        kind=upload.kind,
        size=upload.size,
        sha256=upload.sha256,
        note=note,
        uploaded_by=by,
    )
    files.save(version.file, upload.original_name, upload.content)
    version.save()
    document.current_version = version
    document.updated_at = timezone.now()
    document.save(update_fields=["current_version", "updated_at"])
    if upload.kind == "pdf":
        from .tasks import extract_text

        transaction.on_commit(lambda: extract_text.delay(version.pk))
    return version


def _check_visibility(
    *, visibility: str, members: Sequence[User], lots: Sequence[Lot]
) -> None:
    if visibility == Visibility.NAMED and not (members or lots):
        raise ValidationError(
            {"visibility": _("Name at least one member or lot who may see it.")}
        )


@transaction.atomic
def documents_upload(
    *,
    residence: Residence,
    by: User,
    uploads: Sequence[CleanDocument],
    category: str = Category.OTHER,
    visibility: str = Visibility.OWNERS,
    title: str = "",
    description: str = "",
    tags: Iterable[str] = (),
    date: date | None = None,
    members: Sequence[User] = (),
    lots: Sequence[Lot] = (),
) -> list[Document]:
    """One document per file, sharing the metadata; `title` names a single file (or
    prefixes several). All or nothing: if one fails, none is kept."""
    _check_visibility(visibility=visibility, members=members, lots=lots)
    tags = normalise_tags(tags)
    created = []
    with FilesWritten() as files:
        for upload in uploads:
            own_title = _title_from(upload.original_name)
            if title and len(uploads) == 1:
                own_title = title
            elif title:
                own_title = f"{title} — {own_title}"
            document = Document(
                residence=residence,
                category=category,
                title=own_title[:200],
                description=description,
                tags=tags,
                date=date or timezone.localdate(),
                visibility=visibility,
                created_by=by,
            )
            document.full_clean(exclude=["current_version"])
            document.save()
            if visibility == Visibility.NAMED:
                document.members.set(members)
                document.lots.set(lots)
            _add_version(document, upload, by=by, note="", number=1, files=files)
            refresh_search(document.pk)
            created.append(document)
    for document in created:
        notify_followers(document=document, new=True)
    return created


@transaction.atomic
def document_add_version(
    *, document: Document, by: User, upload: CleanDocument, note: str = ""
) -> DocumentVersion:
    """A new current version; the previous ones are kept and stay consultable."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.archived_at is not None:
        raise ValidationError(_("An archived document cannot get a new version."))
    if document.signature_requests.filter(status=SignatureStatus.SIGNED).exists():
        raise ValidationError(
            _("A signed document cannot be changed: add a new document instead.")
        )
    # Signatures asked on the previous text no longer make sense: the syndic asks again.
    for pending in document.signature_requests.filter(status=SignatureStatus.PENDING):
        pending.status = SignatureStatus.CANCELLED
        pending.decided_at = timezone.now()
        pending.save(update_fields=["status", "decided_at"])
    last = document.versions.order_by("-number").values_list("number", flat=True)
    with FilesWritten() as files:
        version = _add_version(
            document,
            upload,
            by=by,
            note=note,
            number=(last.first() or 0) + 1,
            files=files,
        )
    refresh_search(document.pk)
    notify_followers(document=document, new=False)
    return version


@transaction.atomic
def document_update(
    *,
    document: Document,
    members: Sequence[User] = (),
    lots: Sequence[Lot] = (),
    **data,
) -> Document:
    if "tags" in data:
        data["tags"] = normalise_tags(data["tags"])
    for field in METADATA:
        if field in data:
            setattr(document, field, data[field])
    _check_visibility(visibility=document.visibility, members=members, lots=lots)
    document.updated_at = timezone.now()
    document.full_clean()
    document.save()
    if document.visibility == Visibility.NAMED:
        document.members.set(members)
        document.lots.set(lots)
    else:
        document.members.clear()
        document.lots.clear()
    refresh_search(document.pk)
    return document


def document_archive(*, document: Document, archived: bool = True) -> Document:
    """Archived documents leave the library but stay consultable in the archive."""
    document.archived_at = timezone.now() if archived else None
    document.save(update_fields=["archived_at"])
    return document


def refresh_search(document_id: int) -> None:
    """Recompute the document's search vector: title (A), description and tags (B),
    text of the current version (C)."""
    row = (
        Document.objects.filter(pk=document_id)
        .values("title", "description", "tags", "current_version__text")
        .first()
    )
    if row is None:
        return
    config = search.CONFIG
    vector = (
        SearchVector(Value(row["title"]), weight="A", config=config)
        + SearchVector(
            Value(f"{row['description']} {' '.join(row['tags'])}"),
            weight="B",
            config=config,
        )
        + SearchVector(
            Value(row["current_version__text"] or ""), weight="C", config=config
        )
    )
    Document.objects.filter(pk=document_id).update(search=vector)


def extract_version_text(version_id: int) -> bool:
    """Read the text inside a PDF version (for search); idempotent."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    version = DocumentVersion.objects.filter(pk=version_id, kind="pdf").first()
    if version is None or version.text_extracted_at is not None:
        return False
    try:
        with version.file.open("rb") as handle:
            reader = PdfReader(handle)
            pages = [page.extract_text() or "" for page in reader.pages[:500]]
        text = "\n".join(pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        text = ""  # unreadable or encrypted: searchable by its title only
    version.text = text[:1_000_000].replace("\x00", "")
    version.text_extracted_at = timezone.now()
    version.save(update_fields=["text", "text_extracted_at"])
    refresh_search(version.document_id)
    return True


# --- Personal space ------------------------------------------------------------------


def personal_space_used(user: User) -> int:
    return (
        DocumentVersion.objects.filter(document__owner=user).aggregate(
            total=Sum("size")
        )["total"]
        or 0
    )


@transaction.atomic
def personal_document_add(
    *, residence: Residence, owner: User, upload: CleanDocument, title: str = ""
) -> Document:
    """A document in the member's own space: only they may ever open it."""
    # Lock the owner's row so that two uploads at once cannot both pass the quota.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    quota = settings.COPRO_PERSONAL_SPACE_QUOTA
    if personal_space_used(owner) + upload.size > quota:
        raise ValidationError(
            _("%(name)s does not fit in your space (%(quota)s MB in all).")
            % {"name": safe_name(upload.original_name), "quota": quota // 2**20}
        )
    document = Document.objects.create(
        residence=residence,
        owner=owner,
        title=(title or _title_from(upload.original_name))[:200],
        visibility=Visibility.NAMED,
        category=Category.OTHER,
        created_by=owner,
    )
    with FilesWritten() as files:
        _add_version(document, upload, by=owner, note="", number=1, files=files)
    refresh_search(document.pk)
    return document


@transaction.atomic
def personal_document_delete(*, document: Document) -> None:
    files = [version.file for version in document.versions.all()]
    document.delete()
    delete_on_commit(*files)
