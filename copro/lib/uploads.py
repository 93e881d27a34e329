"""Checking what people upload, by content rather than by name.

- `clean_image(upload)` opens the file with Pillow, refuses what is not a JPEG, PNG
  or WebP image (or is too large, in bytes or pixels), applies the EXIF orientation,
  then re-encodes it: the stored file carries no metadata at all (EXIF, GPS position,
  camera serial), and whatever was hidden after the image data is gone. It also
  makes a thumbnail.
- `clean_attachment(upload)` accepts a PDF (checked by its signature) or an image
  (cleaned as above), with a bounded size and a safe file name.
- `MultipleFileField` lets one form field take several files at once.

Files are stored under random names (`PrivateUploadTo`) and are only ever served
by views that ask the access policy first (`copro.lib.files.serve_private`).
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Past this, decoding alone would take too much memory (a "decompression bomb").
MAX_IMAGE_PIXELS = 50_000_000
# Stored images are scaled down to fit this box; thumbnails to the second one.
IMAGE_BOX = (2560, 2560)
THUMBNAIL_BOX = (480, 480)
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "MPO": "jpg"}
PDF_SIGNATURE = b"%PDF-"


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image, its thumbnail and what the page needs to show them."""

    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    original_name: str


@dataclass(frozen=True)
class CleanAttachment:
    """A checked attachment; images also carry their thumbnail and size."""

    content: ContentFile
    original_name: str
    content_type: str
    size: int
    thumbnail: ContentFile | None = None
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def safe_name(name: str, *, default: str = "file") -> str:
    """A file name safe to show and to send back in Content-Disposition."""
    stem = get_valid_filename(PurePath(name or "").name) if name else ""
    stem = stem.lstrip(".")[:120]
    return stem or default


def _check_size(upload, limit: int) -> None:
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large (%(size)s); the limit is %(limit)s."),
            code="too_large",
            params={
                "name": safe_name(upload.name),
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            },
        )


def _not_an_image(upload) -> ValidationError:
    return ValidationError(
        _("%(name)s is not a photo we can read: send a JPEG, PNG or WebP image."),
        code="not_an_image",
        params={"name": safe_name(upload.name)},
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def clean_image(upload) -> CleanImage:
    """Validate an uploaded image by its content and re-encode it without metadata.

    Raises a translated ValidationError naming the file when it is too large, not an
    image, of another format, or damaged."""
    _check_size(upload, MAX_IMAGE_BYTES)
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # The pixel count is checked just below, with our own (lower) limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                fmt = probe.format
                width, height = probe.size
                probe.verify()  # structure check without decoding the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _not_an_image(upload) from exc
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(upload) from exc
    if fmt not in IMAGE_FORMATS:
        raise _not_an_image(upload)
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels(upload)
    upload.seek(0)
    try:
        with Image.open(upload) as opened:
            opened.load()
            # Turn the pixels upright, then drop every tag (GPS included).
            image = ImageOps.exif_transpose(opened)
            image.info.clear()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _not_an_image(upload) from exc
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    stored_format = "JPEG" if fmt == "MPO" else fmt
    if stored_format == "JPEG" and image.mode in ("RGBA", "LA"):
        image = image.convert("RGB")
    image.thumbnail(IMAGE_BOX)
    thumbnail = image.copy()
    thumbnail.thumbnail(THUMBNAIL_BOX)
    extension = IMAGE_FORMATS[stored_format]
    stem = uuid.uuid4().hex
    return CleanImage(
        image=ContentFile(_encode(image, stored_format), name=f"{stem}.{extension}"),
        thumbnail=ContentFile(
            _encode(thumbnail, stored_format), name=f"{stem}-thumb.{extension}"
        ),
        width=image.width,
        height=image.height,
        original_name=safe_name(upload.name, default=f"photo.{extension}"),
    )


def _too_many_pixels(upload) -> ValidationError:
    return ValidationError(
        _("%(name)s has too many pixels: send a smaller photo."),
        code="too_many_pixels",
        params={"name": safe_name(upload.name)},
    )


def clean_attachment(upload) -> CleanAttachment:
    """Accept a PDF (by its signature) or an image (re-encoded without metadata)."""
    _check_size(upload, MAX_ATTACHMENT_BYTES)
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if head.startswith(PDF_SIGNATURE):
        name = safe_name(upload.name, default="document.pdf")
        if not name.lower().endswith(".pdf"):
            name = f"{name}.pdf"
        return CleanAttachment(
            content=ContentFile(upload.read(), name=f"{uuid.uuid4().hex}.pdf"),
            original_name=name,
            content_type="application/pdf",
            size=upload.size,
        )
    try:
        image = clean_image(upload)
    except ValidationError as exc:
        if exc.code == "not_an_image":
            raise ValidationError(
                _("%(name)s is neither a PDF nor an image: send a PDF, JPEG or PNG."),
                code="bad_attachment",
                params={"name": safe_name(upload.name)},
            ) from exc
        raise
    extension = PurePath(image.image.name).suffix
    stem = PurePath(image.original_name).stem
    return CleanAttachment(
        content=image.image,
        original_name=f"{stem}{extension}",
        content_type=Image.MIME[_format_of(extension)],
        size=image.image.size,
        thumbnail=image.thumbnail,
        width=image.width,
        height=image.height,
    )


def _format_of(extension: str) -> str:
    return {".jpg": "JPEG", ".png": "PNG", ".webp": "WEBP"}[extension]


@deconstructible
class PrivateUploadTo:
    """`upload_to` for private files: a random name under `private/<folder>/`."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        suffix = PurePath(filename).suffix.lower()[:8]
        return f"private/{self.folder}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other) -> bool:
        return isinstance(other, PrivateUploadTo) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files at once (a list in cleaned_data)."""

    def __init__(self, *args, max_files: int = 20, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > self.max_files:
            raise ValidationError(
                _("Send at most %(max)s files at once."),
                code="too_many_files",
                params={"max": self.max_files},
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


# --- Documents: PDF, images, office files -----------------------------------------

OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_SIGNATURE = b"PK\x03\x04"
OOXML_KINDS = {
    "word/": ("docx", "word",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xl/": ("xlsx", "spreadsheet",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ppt/": ("pptx", "presentation",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}  # fmt: skip
ODF_KINDS = {
    "application/vnd.oasis.opendocument.text": ("odt", "word"),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods", "spreadsheet"),
    "application/vnd.oasis.opendocument.presentation": ("odp", "presentation"),
}
OLE2_KINDS = {
    ".doc": ("application/msword", "word"),
    ".xls": ("application/vnd.ms-excel", "spreadsheet"),
    ".ppt": ("application/vnd.ms-powerpoint", "presentation"),
}


@dataclass(frozen=True)
class CleanDocument:
    """A checked document: `content` is what to store (the upload itself, or the
    re-encoded image); `kind` is pdf, image, word, spreadsheet or presentation."""

    content: object
    original_name: str
    content_type: str
    kind: str
    size: int
    sha256: str


def _refused(upload) -> ValidationError:
    return ValidationError(
        _(
            "%(name)s is not a document we accept: send a PDF, an image (JPEG, PNG, "
            "WebP) or an office file (Word, Excel, PowerPoint, OpenDocument)."
        ),
        code="bad_document",
        params={"name": safe_name(upload.name)},
    )


def _with_extension(name: str, extension: str) -> str:
    stem = PurePath(name).stem if PurePath(name).suffix else name
    return f"{stem or 'document'}.{extension}"


def _zip_kind(upload) -> tuple[str, str, str] | None:
    """(extension, kind, content type) of an OOXML or OpenDocument file, read from
    its table of contents only (nothing is decompressed but two tiny entries)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                if mimetype in ODF_KINDS:
                    extension, kind = ODF_KINDS[mimetype]
                    return extension, kind, mimetype
                return None
            if "[Content_Types].xml" not in names:
                return None
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 200_000:
                return None
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            if "macroEnabled" in types:
                return None  # documents with macros are refused
            for prefix, found in OOXML_KINDS.items():
                if any(n.startswith(prefix) for n in names):
                    return found
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def clean_document(upload, *, max_bytes: int | None = None) -> CleanDocument:
    """Accept a PDF, an image or an office file, recognised by its content; refuse
    anything else (HTML, SVG, executables, macro-enabled files) with a message."""
    _check_size(upload, max_bytes or settings.COPRO_DOCUMENT_MAX_BYTES)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    name = safe_name(upload.name, default="document")
    if head.startswith(PDF_SIGNATURE):
        found = ("pdf", "pdf", "application/pdf")
    elif head.startswith(ZIP_SIGNATURE):
        found = _zip_kind(upload)
        upload.seek(0)
    elif head.startswith(OLE2_SIGNATURE):
        suffix = PurePath(name).suffix.lower()
        found = None
        if suffix in OLE2_KINDS:
            content_type, kind = OLE2_KINDS[suffix]
            found = (suffix[1:], kind, content_type)
    else:
        try:
            image = clean_image(upload)
        except ValidationError as exc:
            if exc.code == "not_an_image":
                raise _refused(upload) from exc
            raise
        extension = PurePath(image.image.name).suffix
        return CleanDocument(
            content=image.image,
            original_name=_with_extension(name, extension[1:]),
            content_type=Image.MIME[_format_of(extension)],
            kind="image",
            size=image.image.size,
            sha256=hashlib.sha256(image.image.read()).hexdigest(),
        )
    if found is None:
        raise _refused(upload)
    extension, kind, content_type = found
    return CleanDocument(
        content=upload,
        original_name=_with_extension(name, extension),
        content_type=content_type,
        kind=kind,
        size=upload.size,
        sha256=_sha256(upload),
    )


def clean_each(uploads, cleaner) -> list:
    """Check every uploaded file with `cleaner` (e.g. `clean_image`); if any is
    refused, raise one ValidationError carrying a message per refused file."""
    cleaned, errors = [], []
    for upload in uploads or []:
        try:
            cleaned.append(cleaner(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned
