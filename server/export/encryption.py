"""Password protection that is real encryption, not sheet protection.

xlsx files are encrypted as Office documents (ECMA-376 agile encryption, AES-256, with
msoffcrypto-tool): Excel and LibreOffice ask for the password when opening them. csv and json
files are put in a zip encrypted with AES-256 (pyzipper), which 7-Zip and most archive tools open.
While a job waits for its worker, its password is kept sealed (AES-GCM), never in clear (below).
"""
from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

import pyzipper
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from msoffcrypto.format.ooxml import OOXMLFile


def encrypt(path: str, fmt: str, password: str, folder: str) -> tuple[str, str]:
    """Encrypt an export file; return (path of the encrypted file, its download name)."""
    name = os.path.basename(path)
    if fmt == "xlsx":
        target = os.path.join(folder, "encrypted-" + name)
        with open(path, "rb") as plain, open(target, "wb") as out:
            OOXMLFile(plain).encrypt(password, out)
        return target, name
    target = os.path.join(folder, "encrypted.zip")
    with pyzipper.AESZipFile(target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.write(path, name)
    return target, os.path.splitext(name)[0] + ".zip"


# The password of a queued export, sealed for the worker.
#
# A job waits in MongoDB until a worker (maybe another process: `abri worker`) writes its file, so
# the worker needs the password, but the database must never hold it in clear (backups, replicas,
# anyone who can read the export_jobs collection). The password is sealed with AES-256-GCM under a
# key of this instance, bound to the job id, and the sealed value is deleted when the job ends.
KEY_FILE = "export-password.key"
KEY_BYTES = 32


class ExportKeyError(ValueError):
    """The export key setting or file is unusable (the message says how to fix it)."""


def parse_key(text: str, origin: str) -> bytes:
    """Decode a key written as base64 (urlsafe or standard) of 32 bytes."""
    try:
        key = base64.urlsafe_b64decode(text.strip().replace("+", "-").replace("/", "_").encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ExportKeyError(f"{origin} must be the base64 text of {KEY_BYTES} random bytes, such as the output of: "
                        "python -c \"import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())\"")
    return key


def instance_key(setting: str, instance_path: str) -> bytes:
    """Return the key that seals export passwords: the setting, else the instance's key file (made once, 0600)."""
    if setting:
        return parse_key(setting, "ABRI_EXPORT_PASSWORD_KEY")
    path = Path(instance_path) / KEY_FILE
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            _create_key_file(path)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # a key others could read would seal nothing
        text = path.read_text(encoding="ascii")
    except OSError as error:
        raise ExportKeyError(f"The export key file {path} cannot be made or read ({error.strerror}): make "
                             "INSTANCE_PATH writable by Abri, or set ABRI_EXPORT_PASSWORD_KEY.") from error
    return parse_key(text, str(path))


def _create_key_file(path: Path) -> None:
    """Write a new random key; of two processes starting together, one key wins and both use it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii") + "\n")
        try:
            os.link(temporary, path)  # atomic, and never replaces a key another process made
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def seal_password(key: bytes, job_id: str, password: str) -> dict[str, str]:
    """Encrypt a password for one job (AES-256-GCM; the job id is authenticated with it)."""
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, password.encode("utf-8"), job_id.encode("utf-8"))
    return {"nonce": base64.b64encode(nonce).decode("ascii"), "ciphertext": base64.b64encode(sealed).decode("ascii")}


def open_password(key: bytes, job_id: str, sealed: dict[str, str]) -> str | None:
    """Decrypt a sealed password; None when it cannot be (another key, another job, altered)."""
    try:
        plain = AESGCM(key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]),
                                    job_id.encode("utf-8"))
    except (InvalidTag, KeyError, TypeError, ValueError):
        return None
    return plain.decode("utf-8")
