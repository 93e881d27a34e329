"""Serving private files (photos, attachments) after the access policy said yes.

Nothing under MEDIA_ROOT is published as it is: each download goes through a view
that scopes the object to the reader's residence and role first, then calls
`serve_private`.
"""

from __future__ import annotations

import mimetypes

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
