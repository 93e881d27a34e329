"""PAdES signatures on PDFs with pyHanko, and their verification: pure functions.

The platform signs with one certificate and key (`COPRO_SIGNING_CERT` /
`COPRO_SIGNING_KEY`). Without them, a self-signed development certificate is generated
on first use under `COPRO_SIGNING_DEV_DIR` (never committed: var/ is ignored).
Verification trusts that certificate only: a signature made with any other key, a
changed byte or anything appended after the signature is reported as such.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)

# The visible block is part of a legal French record: it is written in French whatever
# the signer's interface language, like the documents it is stamped on.
STAMP_TEXT = "Signé électroniquement par %(signer)s\nle %(date)s — Copro"
STAMP_REASON = "Signature électronique Copro"
STAMP_WIDTH, STAMP_HEIGHT, STAMP_MARGIN, STAMP_GAP = 270, 46, 28, 8

_generation_lock = threading.Lock()


class SigningError(Exception):
    """The PDF could not be signed (unreadable, encrypted, broken)."""


@dataclass(frozen=True)
class Credentials:
    key_path: Path
    cert_path: Path
    passphrase: bytes | None = None

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate file: names the trust in cached results."""
        return hashlib.sha256(self.cert_path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class VerificationResult:
    """`intact`: not one byte changed since the last signature, nothing appended.
    `valid`: intact, and every signature is cryptographically sound and made with the
    platform's certificate."""

    valid: bool
    intact: bool
    signer_name: str = ""
    signed_at: datetime | None = None
    signatures: int = 0


# --- Certificate -------------------------------------------------------------------


def credentials() -> Credentials:
    """The platform's key and certificate; a development pair is generated on first
    use when none is configured."""
    cert, key = settings.COPRO_SIGNING_CERT, settings.COPRO_SIGNING_KEY
    passphrase = settings.COPRO_SIGNING_KEY_PASSPHRASE or None
    if cert or key:
        if not (cert and key and Path(cert).is_file() and Path(key).is_file()):
            raise ImproperlyConfigured(
                "SIGNING_CERT and SIGNING_KEY must both name readable PEM files."
            )
        return Credentials(
            Path(key), Path(cert), passphrase.encode() if passphrase else None
        )
    folder = Path(settings.COPRO_SIGNING_DEV_DIR)
    found = Credentials(folder / "key.pem", folder / "cert.pem")
    with _generation_lock:
        if not (found.key_path.is_file() and found.cert_path.is_file()):
            generate_development_certificate(folder)
    return found


def generate_development_certificate(folder: Path, *, days: int = 3650) -> None:
    """A self-signed RSA key and certificate, the key readable by its owner only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Copro"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Copro (développement)"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation, for signing documents
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path = folder / "key.pem"
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    os.chmod(key_path, 0o600)  # also when the file existed with wider permissions
    (folder / "cert.pem").write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
    )
    logger.warning(
        "Generated a self-signed development signing certificate in %s", folder
    )


# --- Signing -----------------------------------------------------------------------


def _courier_factory():
    """Courier, a standard PDF font (nothing to embed), with the text encoded in
    WinAnsi so that accents and the dash print right."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.font.api import ShapeResult
    from pyhanko.pdf_utils.font.basic import (
        COURIER_META,
        SimpleFontEngine,
        SimpleFontEngineFactory,
    )

    class WinAnsiEngine(SimpleFontEngine):
        def shape(self, txt: str) -> ShapeResult:
            ops = io.BytesIO()
            generic.ByteStringObject(txt.encode("cp1252", "replace")).write_to_stream(
                ops
            )
            ops.write(b" Tj")
            return ShapeResult(
                graphics_ops=ops.getvalue(),
                x_advance=len(txt) * self.avg_width,
                y_advance=0,
            )

    class WinAnsiFactory(SimpleFontEngineFactory):
        def create_font_engine(self, writer, obj_stream=None):
            return WinAnsiEngine(writer, self.name, self.avg_width, self.meta)

    return WinAnsiFactory("Courier", 0.6, COURIER_META)


def _stamp_box(writer, existing: int) -> tuple[int, int, int, int]:
    """Bottom right of the last page, above the blocks of earlier signatures."""
    page_ref, _resources = writer.find_page_for_modification(-1)
    page = page_ref.get_object()
    try:
        _x0, _y0, width, height = (float(v) for v in page["/MediaBox"])
    except (KeyError, TypeError, ValueError):
        width, height = 595.0, 842.0  # A4, when the box is inherited or odd
    right = int(width) - STAMP_MARGIN
    left = max(STAMP_MARGIN, right - STAMP_WIDTH)
    bottom = STAMP_MARGIN + existing * (STAMP_HEIGHT + STAMP_GAP)
    bottom = min(bottom, max(STAMP_MARGIN, int(height) - STAMP_HEIGHT - STAMP_MARGIN))
    return (left, bottom, right, bottom + STAMP_HEIGHT)


def sign_pdf(
    data: bytes,
    *,
    field_name: str,
    signer_name: str,
    signed_at: datetime,
    location: str = "",
) -> bytes:
    """`data` with a visible signature block on its last page and a PAdES B-B
    signature by the platform, appended as an incremental update (earlier signatures
    stay valid)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    found = credentials()
    signer = signers.SimpleSigner.load(
        str(found.key_path), str(found.cert_path), key_passphrase=found.passphrase
    )
    if signer is None:
        raise ImproperlyConfigured("The signing key or certificate cannot be read.")
    when = timezone.localtime(signed_at)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        if writer.security_handler is not None:
            raise SigningError("encrypted PDF")
        existing = len(writer.prev.embedded_signatures)
        box = _stamp_box(writer, existing)
        style = TextStampStyle(
            stamp_text=STAMP_TEXT,
            border_width=1,
            text_box_style=TextBoxStyle(font=_courier_factory(), font_size=8),
        )
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(
                field_name=field_name,
                subfilter=fields.SigSeedSubFilter.PADES,
                name=signer_name,
                reason=STAMP_REASON,
                location=location or None,
            ),
            signer=signer,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(field_name, on_page=-1, box=box),
        )
        output = pdf_signer.sign_pdf(
            writer,
            appearance_text_params={
                "signer": signer_name,
                "date": when.strftime("%d/%m/%Y à %H:%M"),
            },
        )
    except (PdfError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise SigningError(str(exc)) from exc
    return output.getvalue()


# --- Verification ------------------------------------------------------------------


def _name_of(embedded) -> str:
    name = embedded.sig_object.get("/Name")
    if name:
        return str(name)
    return embedded.signer_cert.subject.native.get("common_name", "")


def verify_pdf(data: bytes) -> VerificationResult:
    """Check every signature of `data` against the platform's certificate."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    trusted = load_cert_from_pemder(str(credentials().cert_path))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
        if not embedded:
            return VerificationResult(valid=False, intact=False)
        statuses = [
            validate_pdf_signature(
                signature,
                ValidationContext(trust_roots=[trusted], allow_fetching=False),
            )
            for signature in embedded
        ]
        # A damaged file can fail anywhere in the parser or the CMS decoder, with any
        # exception type: whatever the failure, the answer is "not valid", never a 500.
        signer_name = _name_of(embedded[-1])
    except Exception:
        logger.info("A PDF signature could not be read", exc_info=True)
        return VerificationResult(valid=False, intact=False)
    last = statuses[-1]
    intact = (
        all(status.intact for status in statuses)
        and last.coverage == SignatureCoverageLevel.ENTIRE_FILE
    )
    valid = intact and all(status.bottom_line and status.trusted for status in statuses)
    return VerificationResult(
        valid=valid,
        intact=intact,
        signer_name=signer_name,
        signed_at=last.signer_reported_dt,
        signatures=len(statuses),
    )
