"""Several documents in one ZIP: streamed when small, built by a task when large.

What goes in is always re-checked through `selectors.library(standing)`: an id the
member may not see is silently left out. Only current versions go in, named
"<category>/<title>.<ext>" and de-duplicated.

Small selections are streamed: `zipfile` writes into a sink that the response
generator empties after each chunk, so memory stays flat whatever the size. Past
`COPRO_ZIP_STREAM_MAX_DOCUMENTS` documents or `COPRO_ZIP_STREAM_MAX_BYTES` bytes, a
Celery task writes the ZIP into private storage and notifies the member with a
signed link that only they can open, for `COPRO_ZIP_LINK_HOURS` hours.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import notify
from residents.access import Standing
from residents.access import standing as standing_of
from residents.models import Category as NotificationCategory
from residents.models import User

from . import selectors
from .categories import Category
from .models import Document, DocumentVersion

ZIP_FOLDER = "private/zips"
ZIP_SALT = "documents.zip"
CHUNK = 64 * 1024
# The most ids one request may name; a whole category goes through `category`.
MAX_SELECTED = 1000
_KIND_EXTENSIONS = {"pdf": "pdf", "image": "jpg", "word": "docx", "spreadsheet": "xlsx"}
# Characters that no file system accepts in a name, and control characters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def stream_max_documents() -> int:
    return _setting("COPRO_ZIP_STREAM_MAX_DOCUMENTS", 200)


def stream_max_bytes() -> int:
    return _setting("COPRO_ZIP_STREAM_MAX_BYTES", 500 * 2**20)


def max_documents() -> int:
    return _setting("COPRO_ZIP_MAX_DOCUMENTS", 5000)


def max_bytes() -> int:
    return _setting("COPRO_ZIP_MAX_BYTES", 4 * 2**30)


def link_hours() -> int:
    return _setting("COPRO_ZIP_LINK_HOURS", 24)


# --- Selectors -----------------------------------------------------------------------


def parse_ids(values: Iterable[str]) -> list[int]:
    """The integer ids among `values` (anything else is ignored), at most
    MAX_SELECTED of them."""
    ids: dict[int, None] = {}
    for value in values:
        value = str(value).strip()
        if value.isdigit() and len(value) < 12:
            ids.setdefault(int(value))
        if len(ids) >= MAX_SELECTED:
            break
    return list(ids)


def zip_selection(
    standing: Standing, *, ids: Sequence[int] = (), category: str = ""
) -> QuerySet[Document]:
    """The documents of the selection this member may see, with a current version.

    Goes through `selectors.library`: an id outside it (another residence, an
    owners-only document for a tenant, a personal or archived document) is left out.
    """
    documents = selectors.library(standing).filter(current_version__isnull=False)
    if category:
        documents = documents.filter(category=category)
    else:
        documents = documents.filter(pk__in=list(ids))
    return documents.order_by("category", "-date", "-pk")


@dataclass(frozen=True)
class Size:
    count: int
    bytes: int

    @property
    def streamable(self) -> bool:
        return self.count <= stream_max_documents() and self.bytes <= stream_max_bytes()

    @property
    def too_large(self) -> bool:
        return self.count > max_documents() or self.bytes > max_bytes()


def size_of(documents: QuerySet[Document]) -> Size:
    """How many documents and bytes a selection holds (one query)."""
    totals = documents.order_by().aggregate(
        count=Count("pk"), bytes=Sum("current_version__size")
    )
    return Size(totals["count"] or 0, totals["bytes"] or 0)


# --- Names inside the ZIP ------------------------------------------------------------


def safe_part(text: str, *, default: str) -> str:
    """One readable path component: no separators, no control characters, no
    leading dots (nothing like "../"), bounded length."""
    text = unicodedata.normalize("NFC", str(text))
    text = _UNSAFE.sub(" ", text)
    text = " ".join(text.split()).strip(" .")
    return text[:100].rstrip(" .") or default


def _extension(version: DocumentVersion) -> str:
    name = version.original_name or ""
    if "." in name:
        extension = re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[1].lower())[:8]
        if extension:
            return extension
    return _KIND_EXTENSIONS.get(version.kind, "bin")


def entry_names(documents: Iterable[Document]) -> list[tuple[str, Document]]:
    """ "<category>/<safe title>.<ext>" for each document, de-duplicated without
    regard to case ("Budget.pdf", "Budget (2).pdf"…). Category labels are in the
    active language."""
    taken: set[str] = set()
    entries = []
    for document in documents:
        folder = safe_part(Category(document.category).label, default="Documents")
        stem = safe_part(document.title, default=_("Document"))
        extension = _extension(document.current_version)
        name = f"{folder}/{stem}.{extension}"
        n = 1
        while name.casefold() in taken:
            n += 1
            name = f"{folder}/{stem} ({n}).{extension}"
        taken.add(name.casefold())
        entries.append((name, document))
    return entries


# --- Writing -------------------------------------------------------------------------


class _Sink:
    """A write-only, unseekable file: zipfile then writes data descriptors and never
    seeks back, so what it wrote can be handed out and forgotten."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _write_entries(
    archive: zipfile.ZipFile, entries: Sequence[tuple[str, Document]]
) -> Iterator[None]:
    """Write each entry, yielding after every chunk. A file missing from storage is
    left out rather than failing the whole archive."""
    for name, document in entries:
        version = document.current_version
        try:
            source = version.file.open("rb")
        except (FileNotFoundError, OSError):
            continue
        stamp = timezone.localtime(version.uploaded_at)
        info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        big = version.size > 2**30
        with source, archive.open(info, "w", force_zip64=big) as target:
            while chunk := source.read(CHUNK):
                target.write(chunk)
                yield


def stream_zip(entries: Sequence[tuple[str, Document]]) -> Iterator[bytes]:
    """The ZIP's bytes, chunk by chunk, for a StreamingHttpResponse."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compresslevel=6) as archive:
        for _step in _write_entries(archive, entries):
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data


def zip_filename(standing: Standing) -> str:
    today = timezone.localdate().isoformat()
    return f"documents-{standing.residence.slug}-{today}.zip"


# --- Large selections: built by a task -----------------------------------------------


def zip_request(*, standing: Standing, ids: Sequence[int], category: str) -> str:
    """Queue the building of a large ZIP after commit; return its storage name."""
    from .tasks import build_zip

    name = f"{ZIP_FOLDER}/{secrets.token_urlsafe(24)}.zip"
    payload = {
        "user_id": standing.user.pk,
        "residence": standing.residence.slug,
        "ids": list(ids),
        "category": category,
        "name": name,
    }
    transaction.on_commit(lambda: build_zip.delay(payload))
    return name


def zip_storage():
    return DocumentVersion.file.field.storage


def zip_build(
    *, user_id: int, residence: str, ids: Sequence[int], category: str, name: str
) -> str:
    """Build the ZIP into private storage and notify the member; return the download
    address ("" when nothing was done). Idempotent: once the file exists, nothing is
    done again. Access is resolved again here: a member who lost it meanwhile, or
    who may no longer see a document, does not get it."""
    storage = zip_storage()
    if not name.startswith(f"{ZIP_FOLDER}/") or storage.exists(name):
        return ""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    found = standing_of(user, residence) if user is not None else None
    if found is None:
        return ""
    documents = zip_selection(found, ids=ids, category=category)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        entries = entry_names(documents[: max_documents()])
        if not entries:
            return ""
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compresslevel=6) as archive:
                for _step in _write_entries(archive, entries):
                    pass
            spool.seek(0)
            saved = storage.save(name, File(spool, name=name))
    token = signing.dumps(
        {"u": user.pk, "r": found.residence.pk, "f": saved}, salt=ZIP_SALT
    )
    url = reverse("documents:zip_download", args=[found.residence.slug, token])
    notify(
        recipients=[user],
        residence=found.residence,
        category=NotificationCategory.DOCUMENTS,
        template="documents_zip_ready",
        context={
            "residence": found.residence.name,
            "count": len(entries),
            "hours": link_hours(),
        },
        url=url,
    )
    return url


class ZipGone(Exception):
    """The link is out of date or its file was already cleaned away."""


def zip_for(standing: Standing, token: str) -> str | None:
    """The storage name of a built ZIP if `token` was issued to this member for this
    residence; None for a forged or foreign token. Raises ZipGone once expired."""
    try:
        data = signing.loads(
            token, salt=ZIP_SALT, max_age=timedelta(hours=link_hours())
        )
    except signing.SignatureExpired as exc:
        raise ZipGone from exc
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("u") != standing.user.pk or data.get("r") != standing.residence.pk:
        return None
    name = str(data.get("f", ""))
    if not name.startswith(f"{ZIP_FOLDER}/") or ".." in name:
        return None
    if not zip_storage().exists(name):
        raise ZipGone
    return name


def purge_old_zips(*, older_than: timedelta | None = None) -> int:
    """Delete built ZIPs whose links have expired; return how many went."""
    storage = zip_storage()
    if older_than is None:
        older_than = timedelta(hours=link_hours() + 1)
    limit = timezone.now() - older_than
    try:
        _folders, files = storage.listdir(ZIP_FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for file in files:
        name = f"{ZIP_FOLDER}/{file}"
        if storage.get_modified_time(name) < limit:
            storage.delete(name)
            removed += 1
    return removed
