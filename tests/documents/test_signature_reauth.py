"""Signing after confirming who you are on allauth's own reauthentication pages: with
a passkey (WebAuthn) or an authenticator app. Only a confirmation made after the sign
page was opened, less than 5 minutes ago and not used yet signs, once; the evidence
says which authenticator confirmed."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import time
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ValidationError
from django.urls import reverse
from fido2.cose import ES256
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from documents import signature_reauth, signatures, signing
from documents.models import DocumentVersion, SignatureRequest, SignatureStatus
from documents.signatures import Reauthentication

from ..conftest import MATRIX_ARGS, give_mfa, login, matrix_cells
from ..factories import PASSWORD
from .test_library import add, pdf_bytes
from .test_signatures import ask, signing_dir, stored, totp_now  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(english, settings, tmp_path, signing_dir):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    settings.COPRO_SIGNING_DEV_DIR = str(signing_dir)
    settings.COPRO_SIGNING_CERT = ""
    settings.COPRO_SIGNING_KEY = ""
    # The test client's origin is http://testserver, which WebAuthn only accepts
    # with this development switch (as under `make run`); the browser test runs on
    # http://localhost, where the origin is checked for real.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True


class SoftPasskey:
    """A software WebAuthn authenticator holding one ES256 key: the member's phone or
    security key, standing in at the browser's boundary (what navigator.credentials
    returns). Its answers go through allauth and fido2 unchanged."""

    def __init__(self, rp_id: str = "testserver", origin: str = "http://testserver"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.rp_id, self.origin = rp_id, origin
        self.counter = 0

    def _client_data(self, kind: str, options: dict) -> CollectedClientData:
        return CollectedClientData.create(
            type=kind, challenge=options["publicKey"]["challenge"], origin=self.origin
        )

    def _rp_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def create(self, options: dict) -> dict:
        """navigator.credentials.create(): a new credential, attestation "none"."""
        flags = AuthenticatorData.FLAG
        public_key = ES256.from_cryptography_key(self.key.public_key())
        attested = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, public_key
        )
        data = AuthenticatorData.create(
            self._rp_hash(), flags.UP | flags.UV | flags.AT, 0, attested
        )
        client_data = self._client_data("webauthn.create", options)
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(
                    AttestationObject.create("none", data, {})
                ),
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict) -> dict:
        """navigator.credentials.get(): an assertion signed with the key."""
        flags = AuthenticatorData.FLAG
        self.counter += 1
        data = AuthenticatorData.create(
            self._rp_hash(), flags.UP | flags.UV, self.counter
        )
        client_data = self._client_data("webauthn.get", options)
        signature = self.key.sign(
            bytes(data) + client_data.hash, ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(data),
                "signature": websafe_encode(signature),
            },
            "clientExtensionResults": {},
        }


def js_data(response) -> dict:
    """The options allauth's WebAuthn pages hand to their script."""
    found = re.search(
        r'<script id="js_data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(found.group(1))


def add_passkey(client, user) -> SoftPasskey:
    """Register a passkey through allauth's own pages, as a member does: confirm the
    password, then answer the creation options."""
    login(client, user)
    url = reverse("mfa_add_webauthn")
    assert client.get(url).status_code == 302  # confirm your password first
    response = client.post(
        reverse("account_reauthenticate"), {"password": PASSWORD, "next": url}
    )
    assert response.status_code == 302
    passkey = SoftPasskey()
    options = js_data(client.get(url))["creation_options"]
    response = client.post(
        url, {"name": "Phone", "credential": json.dumps(passkey.create(options))}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Authenticator.objects.filter(
        user=user, type=Authenticator.Type.WEBAUTHN
    ).exists()
    return passkey


def sign_url(request) -> str:
    return reverse(
        "documents:signature_sign", args=[request.document.residence.slug, request.pk]
    )


def confirm_with_passkey(client, passkey, next_url: str):
    url = reverse("mfa_reauthenticate_webauthn")
    options = js_data(client.get(f"{url}?{urlencode({'next': next_url})}"))
    credential = passkey.get(options["request_options"])
    return client.post(url, {"credential": json.dumps(credential), "next": next_url})


def confirm_with_code(client, code: str, next_url: str = ""):
    data = {"code": code, **({"next": next_url} if next_url else {})}
    return client.post(reverse("mfa_reauthenticate"), data)


def nonce_of(response) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', response.content.decode()).group(
        1
    )


def sign_confirmed(client, request, nonce: str, **extra):
    return client.post(
        sign_url(request), {"reauthenticated": "1", "nonce": nonce}, **extra
    )


def versions(request) -> int:
    return DocumentVersion.objects.filter(document_id=request.document_id).count()


# --- Role matrix ----------------------------------------------------------------------

# anonymous outsider tenant owner council president staff manager other_staff
# The signer without a confirmation: the page again, with the reason (200).
SIGNER_CONFIRMED_POST = [302, 404, 404, 200, 404, 404, 404, 404, 404]

VIEWS = [
    (
        "documents:signature_sign",
        "post",
        lambda w, r: [w.home.slug, r.pk],
        SIGNER_CONFIRMED_POST,
    ),
]


@pytest.mark.parametrize(MATRIX_ARGS, matrix_cells(VIEWS))
def test_role_matrix(world, as_persona, name, method, args, persona, expected):
    give_mfa(world.user("owner"))
    request = ask(world)
    client = as_persona(persona)
    response = client.post(
        reverse(name, args=args(world, request)),
        {"reauthenticated": "1", "nonce": "guess"},
    )
    assert response.status_code == expected
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and request.confirmation == ""
    assert versions(request) == 1


# --- Passkey --------------------------------------------------------------------------


def test_sign_with_a_passkey_through_allauths_confirmation(world, client):
    owner = world.user("owner")
    passkey = add_passkey(client, owner)
    request = ask(world)
    url = sign_url(request)

    page = client.get(url)
    content = page.content.decode()
    confirm = f"{reverse('mfa_reauthenticate_webauthn')}?{urlencode({'next': url})}"
    assert f'href="{html.escape(confirm)}"' in content
    assert "Confirm with my passkey" in content
    assert 'name="code"' not in content  # a passkey cannot be typed

    response = confirm_with_passkey(client, passkey, url)
    assert response.status_code == 302 and response.url == url  # back to sign

    page = client.get(url)
    assert b"You have just confirmed who you are with your passkey" in page.content
    response = sign_confirmed(
        client,
        request,
        nonce_of(page),
        HTTP_USER_AGENT="Chromium test",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert response.url == reverse(
        "documents:signature_evidence", args=[world.home.slug, request.pk]
    )
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED
    assert request.confirmation == "webauthn"
    assert (request.signer_ip, request.signer_user_agent) == (
        "203.0.113.7",
        "Chromium test",
    )
    result = signing.verify_pdf(stored(request.signed_version))
    assert result.valid and result.intact
    assert result.signer_name == owner.get_full_name()
    evidence = client.get(response.url).content.decode()
    assert "their passkey or security key (WebAuthn)" in evidence
    assert "Signature valid" in evidence


def test_a_passkey_that_is_not_registered_does_not_confirm(world, client):
    add_passkey(client, world.user("owner"))
    request = ask(world)
    url = sign_url(request)
    client.get(url)
    response = confirm_with_passkey(client, SoftPasskey(), url)  # another key
    assert response.status_code == 302 and response.url != url
    page = client.get(url)
    assert b"You have just confirmed" not in page.content
    assert sign_confirmed(client, request, nonce_of_form(page)).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and versions(request) == 1


def nonce_of_form(page) -> str:
    """The nonce is only in the page once confirmed: without it, any guess."""
    found = re.search(r'name="nonce" value="([^"]+)"', page.content.decode())
    return found.group(1) if found else "guess"


def test_a_password_confirmation_does_not_sign(world, client):
    """allauth's password page also records a reauthentication: not a signature."""
    add_passkey(client, world.user("owner"))
    request = ask(world)
    url = sign_url(request)
    client.get(url)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD, "next": url})
    page = client.get(url)
    assert b"You have just confirmed" not in page.content
    response = sign_confirmed(client, request, nonce_of_form(page))
    assert response.status_code == 200
    assert b"Confirm who you are with your passkey or your authenticator app" in (
        response.content
    )
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING


# --- Authenticator app through allauth's page ---------------------------------------


def test_sign_with_a_totp_code_on_allauths_confirmation_page(world, client):
    owner = world.user("owner")
    give_mfa(owner)
    request = ask(world)
    login(client, owner)
    url = sign_url(request)
    page = client.get(url).content.decode()
    confirm = f"{reverse('mfa_reauthenticate')}?{urlencode({'next': url})}"
    assert f'href="{html.escape(confirm)}"' in page
    assert "Confirm with my authenticator app" in page

    response = confirm_with_code(client, totp_now(), url)
    assert response.status_code == 302 and response.url == url
    page = client.get(url)
    assert b"with your authenticator app" in page.content
    assert sign_confirmed(client, request, nonce_of(page)).status_code == 302
    request.refresh_from_db()
    assert request.status == SignatureStatus.SIGNED and request.confirmation == "totp"
    assert signing.verify_pdf(stored(request.signed_version)).valid


def test_a_recovery_code_does_not_sign(world, client):
    owner = world.user("owner")
    give_mfa(owner)
    code = RecoveryCodes.activate(owner).get_unused_codes()[0]
    request = ask(world)
    login(client, owner)
    url = sign_url(request)
    client.get(url)
    assert confirm_with_code(client, code, url).status_code == 302  # allauth: fine
    page = client.get(url)
    assert b"You have just confirmed" not in page.content
    assert sign_confirmed(client, request, nonce_of_form(page)).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and versions(request) == 1


# --- Fresh, after the page, once ------------------------------------------------------


def test_a_confirmation_made_before_the_page_was_opened_does_not_sign(world, client):
    owner = world.user("owner")
    give_mfa(owner)
    request = ask(world)
    login(client, owner)
    assert confirm_with_code(client, totp_now()).status_code == 302
    page = client.get(sign_url(request))
    assert b"You have just confirmed" not in page.content
    assert sign_confirmed(client, request, nonce_of_form(page)).status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING


def test_a_confirmation_signs_one_document_only(world, client):
    owner = world.user("owner")
    passkey = add_passkey(client, owner)
    first = ask(world)
    second = ask(world, document=add(world, title="Procuration"))
    client.get(sign_url(first))
    second_page = client.get(sign_url(second))  # both open, one confirmation
    confirm_with_passkey(client, passkey, sign_url(first))
    assert (
        sign_confirmed(client, first, nonce_of(client.get(sign_url(first)))).status_code
        == 302
    )

    page = client.get(sign_url(second))
    assert b"You have just confirmed" not in page.content
    response = sign_confirmed(client, second, nonce_of_form(second_page))
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.status == SignatureStatus.PENDING and versions(second) == 1
    # A new confirmation signs the second one.
    confirm_with_passkey(client, passkey, sign_url(second))
    page = client.get(sign_url(second))
    assert sign_confirmed(client, second, nonce_of(page)).status_code == 302
    second.refresh_from_db()
    assert second.status == SignatureStatus.SIGNED


def test_a_confirmation_older_than_5_minutes_does_not_sign(world, client, monkeypatch):
    owner = world.user("owner")
    passkey = add_passkey(client, owner)
    request = ask(world)
    url = sign_url(request)
    client.get(url)
    confirm_with_passkey(client, passkey, url)
    page = client.get(url)
    nonce = nonce_of(page)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 5 * 60 + 1)
    assert b"You have just confirmed" not in client.get(url).content
    response = sign_confirmed(client, request, nonce)
    assert response.status_code == 200 and b"within 5 minutes" in response.content
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING


def test_the_form_must_come_from_the_page_shown(world, client):
    owner = world.user("owner")
    passkey = add_passkey(client, owner)
    request = ask(world)
    url = sign_url(request)
    client.get(url)
    confirm_with_passkey(client, passkey, url)
    nonce = nonce_of(client.get(url))
    assert sign_confirmed(client, request, "not-the-nonce").status_code == 200
    assert sign_confirmed(client, request, "").status_code == 200
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING
    # The confirmation was not used up by the wrong forms.
    assert sign_confirmed(client, request, nonce).status_code == 302


def test_a_double_submit_signs_once(world, client):
    owner = world.user("owner")
    passkey = add_passkey(client, owner)
    request = ask(world)
    url = sign_url(request)
    client.get(url)
    confirm_with_passkey(client, passkey, url)
    nonce = nonce_of(client.get(url))
    assert sign_confirmed(client, request, nonce).status_code == 302
    response = sign_confirmed(client, request, nonce)
    assert response.status_code == 302  # to the evidence, with a message
    assert response.url.endswith(f"/signatures/{request.pk}/verify/")
    assert versions(request) == 2


def test_the_sms_and_code_paths_are_unchanged_for_a_passkey_holder(world, client):
    """A member with a passkey and a TOTP app still signs with a typed code."""
    owner = world.user("owner")
    add_passkey(client, owner)
    give_mfa(owner)
    request = ask(world)
    page = client.get(sign_url(request)).content.decode()
    assert 'name="code"' in page and "Confirm with my passkey" in page
    response = client.post(sign_url(request), {"code": totp_now()})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.confirmation == "totp"


def test_a_passkey_holder_posting_a_code_is_refused(world, client):
    """Without a TOTP app, a typed code is not how a passkey holder confirms (and it
    must not fall through to the SMS check)."""
    owner = world.user("owner")
    add_passkey(client, owner)
    owner.phone, owner.phone_verified = "+33612345678", True
    owner.save(update_fields=["phone", "phone_verified"])
    request = ask(world)
    response = client.post(sign_url(request), {"code": "123456"})
    assert response.status_code == 200
    assert b"method shown on the page" in response.content
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and request.sms_attempts == 0


# --- The service checks the proof again -----------------------------------------------


def _proof(user, method="webauthn", *, at=None, authenticator=None) -> Reauthentication:
    authenticator = authenticator or Authenticator.objects.filter(user=user).first()
    return Reauthentication(
        user_id=user.pk,
        method=method,
        authenticator_id=authenticator.pk,
        at=time.time() if at is None else at,
    )


def test_the_service_refuses_a_proof_that_does_not_hold(world):
    owner, council = world.user("owner"), world.user("council")
    totp = give_mfa(owner)
    give_mfa(council)
    request = ask(world)
    for proof, reason in [
        (_proof(council, "totp"), "again"),  # someone else's
        (_proof(owner, "recovery_codes", authenticator=totp), "passkey or"),
        (_proof(owner, "totp", at=time.time() - 301), "5 minutes"),
        (_proof(owner, "webauthn", authenticator=totp), "again"),  # not that type
    ]:
        with pytest.raises(ValidationError, match=reason):
            signatures.signature_sign_reauthenticated(request=request, proof=proof)
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING and versions(request) == 1


def test_an_authenticator_removed_since_does_not_sign(world):
    owner = world.user("owner")
    totp = give_mfa(owner)
    request = ask(world)
    proof = _proof(owner, "totp", authenticator=totp)
    totp.delete()
    with pytest.raises(ValidationError):
        signatures.signature_sign_reauthenticated(request=request, proof=proof)
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING


def test_one_proof_signs_once_even_from_two_sessions(world):
    """The session's note is one guard; the service's own single use is the other
    (two tabs or a replayed cookie)."""
    owner = world.user("owner")
    give_mfa(owner)
    first = ask(world)
    second = ask(world, document=add(world, title="Procuration"))
    proof = _proof(owner, "totp")
    signatures.signature_sign_reauthenticated(request=first, proof=proof)
    with pytest.raises(ValidationError, match="already used"):
        signatures.signature_sign_reauthenticated(request=second, proof=proof)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SignatureStatus.SIGNED and first.confirmation == "totp"
    assert second.status == SignatureStatus.PENDING


def test_the_page_note_is_kept_when_coming_back(world, client):
    """Coming back from allauth's page must not reset when the page was opened."""
    owner = world.user("owner")
    give_mfa(owner)
    request = ask(world)
    login(client, owner)
    client.get(sign_url(request))
    opened = client.session[signature_reauth.PAGES_KEY][str(request.pk)]
    client.get(sign_url(request))
    assert client.session[signature_reauth.PAGES_KEY][str(request.pk)] == opened


# --- Query counts ---------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_the_confirmed_sign_page_keeps_a_constant_number_of_queries(
    world, client, django_assert_max_num_queries, rows
):
    """Session, user, standing, layout (residence switcher, badge), + the request,
    the document check and the member's authenticators (one query, however many).
    The session is not saved again: the page's note is already there."""
    owner = world.user("owner")
    passkey = add_passkey(client, owner)
    for _ in range(rows - 1):
        Authenticator.objects.create(
            user=owner,
            type=Authenticator.Type.WEBAUTHN,
            data=Authenticator.objects.filter(user=owner, type="webauthn").first().data,
        )
    requests = [
        ask(world, document=add(world, title=f"Acte {n}", content=pdf_bytes("Acte")))
        for n in range(rows)
    ]
    url = sign_url(requests[0])
    client.get(url)
    confirm_with_passkey(client, passkey, url)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert b"You have just confirmed" in response.content
    assert SignatureRequest.objects.filter(signer=owner).count() == rows
