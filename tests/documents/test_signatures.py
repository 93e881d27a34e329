"""Signatures: the syndic requests, the member confirms who they are (TOTP or an SMS
code) and the platform signs the PDF (visible block + PAdES); the evidence is kept
and verifying the file afterwards proves it was not altered."""

from __future__ import annotations

import io
import re
import stat
import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from copro.lib import sms
from copro.lib.uploads import clean_document
from documents import services, signatures, signing
from documents.models import (
    Document,
    DocumentVersion,
    SignatureRequest,
    SignatureStatus,
    Visibility,
)
from notifications.models import Notification
from residents.access import standing

from ..conftest import MATRIX_ARGS, give_mfa, login, matrix_cells
from .test_library import add, pdf_bytes

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"  # the secret `give_mfa` stores


@pytest.fixture(scope="session")
def signing_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signing")
    signing.generate_development_certificate(folder)
    return folder


@pytest.fixture(autouse=True)
def _english(english):
    """These tests read the English wording (see `english`)."""


@pytest.fixture(autouse=True)
def _files(settings, tmp_path, signing_dir):
    settings.MEDIA_ROOT = tmp_path
    settings.COPRO_SIGNING_DEV_DIR = str(signing_dir)
    settings.COPRO_SIGNING_CERT = ""
    settings.COPRO_SIGNING_KEY = ""


def totp_now() -> str:
    return format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))


def sms_code() -> str:
    return re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)


def verify_phone(user, phone="+33612345678"):
    user.phone, user.phone_verified = phone, True
    user.save(update_fields=["phone", "phone_verified"])


def ask(world, signer="owner", document=None, message="Merci de signer le mandat."):
    document = document or add(world, title="Mandat", category="contracts")
    return signatures.signature_request_create(
        standing=standing(world.user("manager"), world.home.slug),
        document=Document.objects.get(pk=document.pk),
        signer=world.user(signer),
        message=message,
    )


def sign(client, request, code):
    url = reverse(
        "documents:signature_sign", args=[request.document.residence.slug, request.pk]
    )
    return client.post(url, {"code": code})


def stored(version: DocumentVersion) -> bytes:
    with version.file.open("rb") as handle:
        return handle.read()


# --- Role matrix ----------------------------------------------------------------------

# anonymous outsider tenant owner council president staff manager other_staff
PANEL = [302, 404, 404, 200, 200, 200, 200, 200, 404]  # an owners-only document
SYNDIC = [302, 404, 403, 403, 403, 403, 200, 200, 404]
SYNDIC_POST = [302, 404, 403, 403, 403, 403, 302, 302, 404]
SIGNER = [302, 404, 404, 200, 404, 404, 404, 404, 404]
SIGNER_POST = [302, 404, 404, 302, 404, 404, 404, 404, 404]
EVIDENCE = [302, 404, 404, 200, 404, 404, 200, 200, 404]
INBOX = [302, 404, 200, 200, 200, 200, 200, 200, 404]


def _doc(w, r):
    return [w.home.slug, r.document_id]


def _req(w, r):
    return [w.home.slug, r.pk]


VIEWS = [
    ("documents:signatures", "get", lambda w, r: [w.home.slug], INBOX),
    ("documents:signature_panel", "get", _doc, PANEL),
    ("documents:signature_new", "get", _doc, SYNDIC),
    ("documents:signature_new", "post", _doc, SYNDIC_POST),
    ("documents:signature_cancel", "post", _req, SYNDIC_POST),
    ("documents:signature_sign", "get", _req, SIGNER),
    ("documents:signature_sign", "post", _req, SIGNER_POST),
    ("documents:signature_code", "post", _req, SIGNER_POST),
    ("documents:signature_decline", "post", _req, SIGNER_POST),
    ("documents:signature_evidence", "get", _req, EVIDENCE),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    give_mfa(world.user("owner"))
    request = ask(world)
    client = as_persona(persona)
    data = {
        "signer": world.user("council").pk,
        "message": "Bon pour accord",
        "code": totp_now(),
    }
    response = getattr(client, method)(reverse(name, args=args(world, request)), data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        request.refresh_from_db()
        assert request.status == SignatureStatus.PENDING
        assert request.signed_version is None
        assert SignatureRequest.objects.count() == 1
        assert (
            DocumentVersion.objects.filter(document_id=request.document_id).count() == 1
        )
        assert not sms.outbox


def test_a_member_cannot_open_another_members_request(world, client):
    """Even on a document everyone may read, only the signer opens the request."""
    document = add(world, title="Pouvoir AG", visibility=Visibility.EVERYONE)
    request = ask(world, document=document)
    for persona in ("tenant", "council", "president"):
        login(client, world.user(persona))
        url = reverse("documents:signature_sign", args=[world.home.slug, request.pk])
        assert client.get(url).status_code == 404
        assert sign(client, request, "123456").status_code == 404
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and request.sms_attempts == 0


# --- The whole flow -------------------------------------------------------------------


def test_request_sms_code_sign_and_verify(
    world, client, django_capture_on_commit_callbacks
):
    owner, manager = world.user("owner"), world.user("manager")
    verify_phone(owner)
    document = add(world, title="Mandat de syndic", category="contracts")
    original = document.current_version

    login(client, manager)
    new = reverse("documents:signature_new", args=[world.home.slug, document.pk])
    page = client.get(new)
    assert owner.email in page.content.decode()
    assert world.user("tenant").email not in page.content.decode()  # may not see it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            new, {"signer": owner.pk, "message": "À signer avant l'AG"}
        )
    assert response.status_code == 302
    request = SignatureRequest.objects.get()
    assert (request.version, request.signer, request.requested_by) == (
        original,
        owner,
        manager,
    )
    notification = Notification.objects.get(recipient=owner)
    assert "Mandat de syndic" in notification.title
    assert notification.url == reverse(
        "documents:signature_sign", args=[world.home.slug, request.pk]
    )

    login(client, owner)
    page = client.get(notification.url)
    assert b"Send me a code by SMS" in page.content
    assert (
        client.post(
            reverse("documents:signature_code", args=[world.home.slug, request.pk])
        ).status_code
        == 302
    )
    assert sms.outbox[-1].to == "+33612345678"
    code = sms_code()
    request.refresh_from_db()
    assert request.sms_code_hash and code not in request.sms_code_hash
    response = client.post(
        notification.url,
        {"code": f" {code} "},
        HTTP_USER_AGENT="Firefox test",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    assert response.url == reverse(
        "documents:signature_evidence", args=[world.home.slug, request.pk]
    )

    request.refresh_from_db()
    document.refresh_from_db()
    signed = request.signed_version
    assert request.status == SignatureStatus.SIGNED
    assert document.current_version == signed and signed.number == 2
    assert original.file and DocumentVersion.objects.filter(pk=original.pk).exists()
    assert (
        request.signer_ip == "203.0.113.9"
        and request.signer_user_agent == "Firefox test"
    )
    assert request.confirmation == "sms" and request.decided_at is not None
    assert request.original_sha256 == original.sha256
    data = stored(signed)
    assert (
        request.signed_sha256
        == signed.sha256
        == __import__("hashlib").sha256(data).hexdigest()
    )
    assert request.sms_code_hash == ""

    # The signed PDF: the original bytes, then the signature (an incremental update).
    assert data.startswith(stored(original))
    reader = PdfReader(io.BytesIO(data))
    annotations = [a.get_object() for a in reader.pages[-1]["/Annots"]]
    widget = next(a for a in annotations if a.get("/FT") == "/Sig")
    appearance = widget["/AP"]["/N"].get_object().get_data()
    text = "\n".join(
        bytes.fromhex(chunk.decode()).decode("cp1252")
        for chunk in re.findall(rb"<([0-9a-f]+)>", appearance)
    )
    assert f"Signé électroniquement par {owner.get_full_name()}" in text
    assert text.endswith("— Copro")
    assert widget["/V"].get_object()["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES

    result = signing.verify_pdf(data)
    assert result.valid and result.intact and result.signatures == 1
    assert result.signer_name == owner.get_full_name()
    assert abs(result.signed_at - request.decided_at) < timedelta(seconds=5)

    # The evidence page, and the document's page, say so.
    evidence = client.get(response.url).content.decode()
    assert "Signature valid" in evidence and "203.0.113.9" in evidence
    assert request.original_sha256 in evidence and request.signed_sha256 in evidence
    login(client, world.user("council"))  # a reader of the document, not the signer
    panel = client.get(
        reverse("documents:signature_panel", args=[world.home.slug, document.pk]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Signature valid" in panel and "<html" not in panel
    assert "203.0.113.9" not in panel

    # Signed: the library refuses a silent new version.
    upload = clean_document(SimpleUploadedFile("v3.pdf", pdf_bytes("v3")))
    with pytest.raises(ValidationError):
        services.document_add_version(document=document, by=manager, upload=upload)


def test_sign_with_a_real_totp_code(world, client):
    owner = world.user("owner")
    give_mfa(owner)
    verify_phone(owner)  # TOTP is preferred: no SMS is offered
    request = ask(world)
    login(client, owner)
    page = client.get(
        reverse("documents:signature_sign", args=[world.home.slug, request.pk])
    )
    assert (
        b"authenticator app" in page.content
        and b"Send me a code by SMS" not in page.content
    )
    assert sign(client, request, totp_now()).status_code == 302
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and request.confirmation == "totp"
    assert signing.verify_pdf(stored(request.signed_version)).valid
    assert not sms.outbox


def test_a_totp_code_is_not_accepted_twice(world, client):
    """Replaying the code just used (another request, same minute) is refused."""
    owner = world.user("owner")
    give_mfa(owner)
    first = ask(world)
    second = ask(world, document=add(world, title="Procuration"))
    login(client, owner)
    code = totp_now()
    assert sign(client, first, code).status_code == 302
    response = sign(client, second, code)
    assert response.status_code == 200 and b"already used" in response.content
    second.refresh_from_db()
    assert second.status == SignatureStatus.PENDING


def test_wrong_totp_codes_are_throttled(world, client):
    owner = world.user("owner")
    give_mfa(owner)
    request = ask(world)
    login(client, owner)
    right = totp_now()
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(signatures.MAX_TOTP_FAILURES):
        response = sign(client, request, wrong)
        assert response.status_code == 200
        assert response.context["form"]["code"].value() == wrong  # what they typed
    response = sign(client, request, right)
    assert b"Too many wrong codes" in response.content
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING
    assert DocumentVersion.objects.filter(document_id=request.document_id).count() == 1


def test_wrong_then_right_sms_code(world, client):
    owner = world.user("owner")
    verify_phone(owner)
    request = ask(world)
    login(client, owner)
    signatures.signature_code_send(request=request)
    code = sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = sign(client, request, wrong)
    assert response.status_code == 200 and b"4 tries left" in response.content
    request.refresh_from_db()
    assert request.sms_attempts == 1 and request.status == SignatureStatus.PENDING
    response = sign(client, request, "12ab")
    assert response.status_code == 200 and b"Enter the 6 digits" in response.content
    assert sign(client, request, code).status_code == 302
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED


def test_an_expired_sms_code_is_refused(world, client):
    owner = world.user("owner")
    verify_phone(owner)
    request = ask(world)
    login(client, owner)
    signatures.signature_code_send(request=request)
    code = sms_code()
    SignatureRequest.objects.filter(pk=request.pk).update(
        sms_code_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = sign(client, request, code)
    assert response.status_code == 200 and b"expired" in response.content
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and request.signed_version is None


def test_five_wrong_sms_codes_void_the_code(world, client):
    owner = world.user("owner")
    verify_phone(owner)
    request = ask(world)
    login(client, owner)
    signatures.signature_code_send(request=request)
    code = sms_code()
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _ in range(signatures.MAX_CODE_ATTEMPTS):
        sign(client, request, wrong)
    response = sign(client, request, code)  # even the right one, now
    assert b"Too many wrong codes" in response.content
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and request.sms_attempts == 5
    # A new code starts again (once the minute between two codes has passed).
    SignatureRequest.objects.filter(pk=request.pk).update(
        sms_code_expires_at=timezone.now() + timedelta(minutes=5)
    )
    signatures.signature_code_send(request=request)
    assert sign(client, request, sms_code()).status_code == 302


def test_codes_are_not_sent_more_than_once_a_minute(world, client):
    owner = world.user("owner")
    verify_phone(owner)
    request = ask(world)
    login(client, owner)
    url = reverse("documents:signature_code", args=[world.home.slug, request.pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert b"less than a minute ago" in response.content
    assert len(sms.outbox) == 1


def test_without_mfa_or_phone_the_page_explains_what_to_do(world, client):
    request = ask(world)
    login(client, world.user("owner"))
    response = client.get(
        reverse("documents:signature_sign", args=[world.home.slug, request.pk])
    )
    assert reverse("mfa_activate_totp").encode() in response.content
    assert reverse("account_change_phone").encode() in response.content
    assert sign(client, request, "123456").status_code == 200
    client.post(reverse("documents:signature_code", args=[world.home.slug, request.pk]))
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and not sms.outbox


def test_a_double_submit_signs_once(world, client):
    owner = world.user("owner")
    verify_phone(owner)
    request = ask(world)
    login(client, owner)
    signatures.signature_code_send(request=request)
    code = sms_code()
    assert sign(client, request, code).status_code == 302
    response = sign(client, request, code)
    assert response.status_code == 302  # to the evidence, with a message
    assert response.url.endswith(f"/signatures/{request.pk}/verify/")
    assert DocumentVersion.objects.filter(document_id=request.document_id).count() == 2
    with pytest.raises(ValidationError):
        signatures.signature_sign(request=request, method="sms", code=code)
    assert DocumentVersion.objects.filter(document_id=request.document_id).count() == 2


# --- Verification ---------------------------------------------------------------------


@pytest.fixture
def signed_request(world, client):
    owner = world.user("owner")
    give_mfa(owner)
    request = ask(world)
    signatures.signature_sign(
        request=request, method="totp", code=totp_now(), ip="198.51.100.4"
    )
    request.refresh_from_db()
    return request


def test_one_changed_byte_breaks_the_signature(signed_request):
    data = bytearray(stored(signed_request.signed_version))
    assert signing.verify_pdf(bytes(data)).valid
    position = bytes(data).find(b"Mandat") if b"Mandat" in data else len(data) // 3
    data[position] ^= 0x01
    result = signing.verify_pdf(bytes(data))
    assert not result.valid and not result.intact


def test_an_appended_update_breaks_the_signature(signed_request):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(stored(signed_request.signed_version)))
    forged = writer.add_object(
        generic.StreamObject(
            stream_data=b"BT /F1 24 Tf 100 700 Td (Bon pour 1 euro) Tj ET"
        )
    )
    writer.add_stream_to_page(0, forged)
    output = io.BytesIO()
    writer.write(output)
    result = signing.verify_pdf(output.getvalue())
    assert not result.valid and not result.intact
    assert result.signatures == 1


def test_a_pdf_signed_with_another_key_is_not_valid(signed_request, tmp_path, settings):
    data = stored(signed_request.signed_version)
    signing.generate_development_certificate(tmp_path / "other")
    settings.COPRO_SIGNING_DEV_DIR = str(tmp_path / "other")
    result = signing.verify_pdf(data)
    assert result.intact and not result.valid


def test_unsigned_or_broken_files_are_not_valid(world):
    assert signing.verify_pdf(pdf_bytes("rien")) == signing.VerificationResult(
        False, False
    )
    assert not signing.verify_pdf(b"%PDF-1.7 broken").valid
    assert not signing.verify_pdf(b"").valid


def test_the_evidence_page_checks_the_stored_file_again(signed_request, client, world):
    version = signed_request.signed_version
    url = reverse(
        "documents:signature_evidence", args=[world.home.slug, signed_request.pk]
    )
    login(client, world.user("manager"))
    assert b"Signature valid" in client.get(url).content
    data = bytearray(stored(version))
    data[len(data) // 2] ^= 0x01
    with open(version.file.path, "wb") as handle:
        handle.write(bytes(data))
    page = client.get(url).content
    assert b"Signature valid" not in page and b"Signature not valid" in page


def test_later_signers_sign_on_top(world, client, signed_request):
    """Two members asked on the same version: the second signs the first's signed PDF,
    and both signatures hold."""
    council = world.user("council")
    document = signed_request.document
    # Asked before the first signature: their request follows the signed version.
    second = SignatureRequest.objects.create(
        document=document, version=document.versions.get(number=1), signer=council
    )
    assert second.version.number == 1
    first = SignatureRequest.objects.get(pk=signed_request.pk)
    assert first.signed_version.number == 2
    # Another request on the signed version itself, for the president.
    third = signatures.signature_request_create(
        standing=standing(world.user("staff"), world.home.slug),
        document=Document.objects.get(pk=document.pk),
        signer=world.user("president"),
    )
    assert third.version == first.signed_version
    give_mfa(world.user("president"))
    signatures.signature_sign(request=third, method="totp", code=totp_now())
    third.refresh_from_db()
    data = stored(third.signed_version)
    result = signing.verify_pdf(data)
    assert result.valid and result.intact and result.signatures == 2
    assert result.signer_name == world.user("president").get_full_name()
    # The council's request was on version 1: the document moved on, it is refused.
    give_mfa(council)
    with pytest.raises(ValidationError):
        signatures.signature_sign(request=second, method="totp", code=totp_now())


def test_pending_siblings_follow_the_signed_version(world):
    give_mfa(world.user("owner"))
    first = ask(world)
    document = first.document
    second = ask(world, signer="council", document=document)
    signatures.signature_sign(request=first, method="totp", code=totp_now())
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.version == first.signed_version
    give_mfa(world.user("council"))
    signatures.signature_sign(request=second, method="totp", code=totp_now())
    second.refresh_from_db()
    assert signing.verify_pdf(stored(second.signed_version)).signatures == 2


# --- Requests, cancel, decline --------------------------------------------------------


def test_only_members_who_may_see_the_document_can_be_asked(world, client):
    document = add(world, title="Contrat ascenseur")  # owners only
    login(client, world.user("staff"))
    url = reverse("documents:signature_new", args=[world.home.slug, document.pk])
    response = client.post(
        url, {"signer": world.user("tenant").pk, "message": "Lu et approuvé"}
    )
    assert response.status_code == 200
    assert response.context["form"]["message"].value() == "Lu et approuvé"
    assert not SignatureRequest.objects.exists()
    with pytest.raises(ValidationError):
        ask(world, signer="tenant", document=document)
    with pytest.raises(ValidationError):
        ask(world, signer="staff", document=document)


def test_a_second_pending_request_for_the_same_signer_is_refused(world, client):
    request = ask(world)
    login(client, world.user("manager"))
    url = reverse(
        "documents:signature_new", args=[world.home.slug, request.document_id]
    )
    response = client.post(url, {"signer": world.user("owner").pk})
    assert response.status_code == 200 and b"already been asked" in response.content
    assert SignatureRequest.objects.count() == 1


def test_only_pdfs_can_be_signed(world):
    upload = SimpleUploadedFile("plan.png", _png())
    document = services.documents_upload(
        residence=world.home,
        by=world.user("manager"),
        uploads=[clean_document(upload)],
        visibility=Visibility.OWNERS,
    )[0]
    with pytest.raises(ValidationError):
        ask(world, document=document)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_cancel_and_decline(world, client):
    request = ask(world)
    login(client, world.user("staff"))
    client.post(
        reverse("documents:signature_cancel", args=[world.home.slug, request.pk])
    )
    request.refresh_from_db()
    assert request.status == SignatureStatus.CANCELLED and request.decided_at
    login(client, world.user("owner"))
    assert sign(client, request, "123456").status_code == 302  # no longer waiting
    again = ask(world, document=request.document)
    client.post(
        reverse("documents:signature_decline", args=[world.home.slug, again.pk])
    )
    again.refresh_from_db()
    assert again.status == SignatureStatus.DECLINED
    assert DocumentVersion.objects.filter(document_id=request.document_id).count() == 1


# --- Certificate ----------------------------------------------------------------------


def test_the_development_certificate_is_generated_once_with_a_private_key(
    settings, tmp_path
):
    settings.COPRO_SIGNING_DEV_DIR = str(tmp_path / "dev")
    found = signing.credentials()
    assert stat.S_IMODE(found.key_path.stat().st_mode) == 0o600
    fingerprint = found.fingerprint
    assert signing.credentials().fingerprint == fingerprint


def test_configured_files_must_exist(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.COPRO_SIGNING_CERT = str(tmp_path / "missing.pem")
    settings.COPRO_SIGNING_KEY = str(tmp_path / "missing.key")
    with pytest.raises(ImproperlyConfigured):
        signing.credentials()


# --- Query counts ---------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 21])
def test_pages_keep_a_constant_number_of_queries(
    world, client, django_assert_max_num_queries, rows
):
    """Every page: session, user, MFA check, standing (4), base layout: residence
    switcher and badge (2), saving the session (3), then its own queries."""
    from residents.models import Role

    from ..factories import make_member

    document = add(world, title="Mandat", visibility=Visibility.EVERYONE)
    owner = world.user("owner")
    give_mfa(owner)
    first = ask(world, document=document)
    for _ in range(rows - 1):
        member = make_member(world.home, Role.OWNER).user
        ask(world, signer=member_persona(world, member), document=document)
    assert SignatureRequest.objects.count() == rows
    slug = world.home.slug
    login(client, world.user("manager"))
    # + count and page of requests
    with django_assert_max_num_queries(11):
        response = client.get(reverse("documents:signatures", args=[slug]))
    assert len(response.context["page"]) == rows
    # + document, its requests (signers and versions joined)
    with django_assert_max_num_queries(9):
        response = client.get(
            reverse("documents:signature_panel", args=[slug, document.pk])
        )
    assert len(response.context["requests"]) == rows
    login(client, owner)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("documents:signatures", args=[slug]))
    assert len(response.context["page"]) == 1
    # + request, document check, the owner's authenticators, and saving the session
    # once more: it notes when the page was opened (for a confirmation through
    # allauth's page, which must come after)
    with django_assert_max_num_queries(11):
        response = client.get(
            reverse("documents:signature_sign", args=[slug, first.pk])
        )
    assert response.status_code == 200


def member_persona(world, user) -> str:
    """`ask` takes a persona name: register an extra member under their own."""
    name = f"member-{user.pk}"
    world.users[name] = user
    return name
