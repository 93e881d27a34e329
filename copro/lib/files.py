"""Serving private files (photos, attachments) after the access policy said yes.

Nothing under MEDIA_ROOT is published as it is: each download goes through a view
that scopes the object to the reader's residence and role first, then calls
`serve_private`.
"""

from __future__ import annotations

import mimetypes

from django.db import transaction
from django.http import FileResponse, Http404


def serve_private(field_file, *, filename: str, inline: bool = True) -> FileResponse:
    """Stream `field_file` with a safe name; 404 when the file is missing on disk."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    guessed = mimetypes.guess_type(field_file.name)[0]
    content_type = guessed or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=not inline, filename=filename, content_type=content_type
    )
    # Private to the reader; the browser must not guess another type.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    if content_type == "application/pdf" or not content_type.startswith("image/"):
        response["Content-Security-Policy"] = "sandbox"
    return response


class FilesWritten:
    """Files a service writes before its rows are saved: if the block fails, they
    are deleted again, so that a refused upload leaves nothing behind.

        with FilesWritten() as files:
            files.save(row.image, name, content)
            row.save()
    """

    def __init__(self) -> None:
        self.written: list[tuple[object, str]] = []

    def __enter__(self) -> FilesWritten:
        return self

    def save(self, field_file, name: str, content) -> None:
        field_file.save(name, content, save=False)
        self.written.append((field_file.storage, field_file.name))

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            for storage, name in self.written:
                storage.delete(name)


def delete_on_commit(*field_files) -> None:
    """Delete these files once the transaction that removed their rows commits."""
    names = [(f.storage, f.name) for f in field_files if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])
