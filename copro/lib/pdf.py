"""PDFs rendered with WeasyPrint from a template and a static stylesheet.

WeasyPrint fetches whatever a page points at; ours is given a fetcher that refuses
every address unless told otherwise, so nothing in a name or a label can make the
server fetch anything.
"""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML, URLFetcher


class RefuseEveryAddress(URLFetcher):
    def fetch(self, url, headers=None):
        raise ValueError(f"Refused address: {url}")


PAGE = "css/pdf_page.css"  # A4, page numbers, the font: every document's base


def render_pdf(
    template: str, context: dict, stylesheet: str, fetcher: URLFetcher | None = None
) -> bytes:
    """The PDF bytes of `template` with `context`, styled by the static file
    `stylesheet` (e.g. "css/notice.css") after the shared page sheet."""
    fetcher = fetcher or RefuseEveryAddress()
    html = render_to_string(template, context)
    sheets = [
        CSS(filename=finders.find(name), url_fetcher=fetcher)
        for name in (PAGE, stylesheet)
    ]
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=sheets)
