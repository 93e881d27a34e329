"""Generated library volume (documents/scale.py): bulk documents that behave like
uploaded ones: searchable, visible to the right people, with history, idempotent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from documents import scale, selectors, services
from documents.models import Document, DocumentVersion, Visibility
from residents.access import standing
from residents.models import Residence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def files_in(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file())


def seed(world, count=50, **kwargs) -> int:
    return scale.seed_documents([world.home], per_residence=count, **kwargs)


def test_seeding_50_documents_with_versions_history_and_search(world, _media):
    """Several batches add exactly what was asked, each document with a current
    version (its last), a search vector and a history row."""
    reported = []
    assert seed(world, batch_size=20, progress=reported.append) == 50
    assert reported == [20, 40, 50]
    documents = Document.objects.filter(residence=world.home)
    assert documents.count() == 50
    assert Document.history.filter(residence_id=world.home.pk).count() == 50
    assert not documents.filter(current_version__isnull=True).exists()
    assert not documents.filter(search__isnull=True).exists()
    for document in documents.prefetch_related("versions"):
        numbers = [v.number for v in document.versions.all()]
        assert document.current_version.number == max(numbers)
        assert document.current_version.text
    # Dates over ten years, several categories, creators from the syndic.
    today = timezone.localdate()
    assert not documents.filter(date__lt=today - timedelta(days=3653)).exists()
    assert not documents.filter(date__gt=today).exists()
    assert documents.values("category").distinct().count() >= 5
    assert set(documents.values_list("created_by", flat=True)) <= {
        world.user("staff").pk,
        world.user("manager").pk,
    }
    # A handful of real PDFs, shared, plus one copy per personal document.
    versions = DocumentVersion.objects.filter(document__residence=world.home)
    personal = versions.filter(document__owner__isnull=False)
    library_files = set(
        versions.filter(document__owner__isnull=True).values_list("file", flat=True)
    )
    assert len(library_files) <= scale.SHARED_PDFS
    assert len(files_in(_media)) == scale.SHARED_PDFS + personal.count()
    for path in files_in(_media):
        assert path.read_bytes().startswith(b"%PDF-")


def test_bulk_search_vector_is_the_one_refresh_search_computes(world):
    seed(world, count=10)
    document = Document.objects.filter(residence=world.home).first()
    bulk = document.search
    services.refresh_search(document.pk)
    document.refresh_from_db()
    assert document.search == bulk


def test_generated_documents_are_found_by_a_word_of_their_text(world):
    seed(world)
    manager = standing(world.user("manager"), world.home.slug)
    document = (
        Document.objects.filter(residence=world.home, owner__isnull=True)
        .select_related("current_version")
        .order_by("pk")
        .first()
    )
    # A word of the text (weight C), not of the title.
    title = document.title.lower()
    word = next(
        w
        for w in re.findall(r"[^\W\d_]{7,}", document.current_version.text)
        if w.lower() not in title
    )
    filters = selectors.Filters(q=word, year=document.date.year)
    archived = document.archived_at is not None
    found = selectors.search_library(manager, filters, archived=archived)
    assert document in found
    shown = selectors.with_snippets(found.filter(pk=document.pk), word).get()
    assert selectors.MARK_START in shown.snippet


def test_the_rare_word_is_rare_and_found(world, monkeypatch):
    """`mérule` (the bench's rare word) is found in exactly the documents whose
    current text has it (made less rare here so that 60 documents have some)."""
    monkeypatch.setattr(scale, "RARE_SHARE", 0.1)
    seed(world, count=60)
    manager = standing(world.user("manager"), world.home.slug)
    with_word = set(
        DocumentVersion.objects.filter(
            document__residence=world.home,
            document__owner__isnull=True,
            document__archived_at__isnull=True,
            text__contains="mérule",
        )
        .filter(pk=F("document__current_version_id"))
        .values_list("document_id", flat=True)
    )
    assert 0 < len(with_word) < 30
    found = selectors.search_library(manager, selectors.Filters(q="merules"))
    assert {d.pk for d in found} == with_word


@pytest.mark.parametrize("persona", ["tenant", "owner", "council", "manager"])
def test_visibility_mix_is_respected(world, persona, monkeypatch):
    """Every visibility is generated; each persona's library is exactly what the
    policy says, computed here from the rows."""
    monkeypatch.setattr(scale, "PERSONAL_SHARE", 0.1)  # surely some personal ones
    seed(world, count=120)
    documents = Document.objects.filter(residence=world.home).prefetch_related(
        "members", "lots"
    )
    assert set(documents.values_list("visibility", flat=True)) == set(Visibility.values)
    assert documents.filter(owner__isnull=False).exists()  # personal spaces
    assert documents.filter(archived_at__isnull=False).exists()
    owners = {world.user("owner").pk}
    owner_lots = set(
        world.home.lots.filter(membership__user__in=owners).values_list("pk", flat=True)
    )
    for document in documents:
        if document.owner_id is not None:
            assert document.owner_id in owners
            assert document.visibility == Visibility.NAMED
        elif document.visibility == Visibility.NAMED:
            members = {u.pk for u in document.members.all()}
            lots = {lot.pk for lot in document.lots.all()}
            assert members | lots
            assert members <= owners and lots <= owner_lots

    user = world.user(persona)
    me = standing(user, world.home.slug)
    my_lots = set(
        world.home.lots.filter(membership__user=user).values_list("pk", flat=True)
    )
    audiences = {
        "tenant": {Visibility.EVERYONE},
        "owner": {Visibility.EVERYONE, Visibility.OWNERS},
        "council": {Visibility.EVERYONE, Visibility.OWNERS, Visibility.COUNCIL},
        "manager": set(Visibility.values),
    }[persona]
    expected = {
        d.pk
        for d in documents
        if d.owner_id is None
        and d.archived_at is None
        and (
            d.visibility in audiences
            or (
                d.visibility == Visibility.NAMED
                and (
                    user.pk in {u.pk for u in d.members.all()}
                    or my_lots & {lot.pk for lot in d.lots.all()}
                )
            )
        )
    }
    assert set(selectors.library(me).values_list("pk", flat=True)) == expected
    mine = {d.pk for d in documents if d.owner_id == user.pk}
    assert set(selectors.personal_space(me).values_list("pk", flat=True)) == mine


def test_running_twice_adds_nothing(world, _media):
    assert seed(world) == 50
    files = files_in(_media)
    history = Document.history.count()
    assert seed(world) == 0
    assert Document.objects.filter(residence=world.home).count() == 50
    assert Document.history.count() == history
    assert files_in(_media) == files  # no PDF rendered again
    # A higher target tops up to it.
    assert seed(world, count=60) == 10
    assert Document.objects.filter(residence=world.home).count() == 60


def test_a_residence_without_owners_gets_no_named_documents(world):
    scale.seed_documents([world.other], per_residence=0)
    assert not Document.objects.exists()
    world.other.memberships.all().delete()
    scale.seed_documents([world.other], per_residence=40)
    documents = Document.objects.filter(residence=world.other)
    assert documents.count() == 40
    assert not documents.filter(visibility=Visibility.NAMED).exists()


def test_seed_demo_documents_option(db):
    """`seed_demo --documents N` shares N over the generated residences, once."""
    with pytest.raises(CommandError):
        call_command("seed_demo", "--documents", "10")
    call_command("seed_demo", "--scale", "2", "--lots", "5", "--documents", "30")
    generated = Residence.objects.filter(slug__startswith="scale-")
    counts = [r.documents.count() for r in generated]
    assert counts == [15, 15]
    call_command("seed_demo", "--documents", "30")
    assert Document.objects.filter(residence__in=generated).count() == 30
