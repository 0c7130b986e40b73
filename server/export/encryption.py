"""Password protection that is real encryption, not sheet protection.

xlsx files are encrypted as Office documents (ECMA-376 agile encryption, AES-256, with
msoffcrypto-tool): Excel and LibreOffice ask for the password when opening them. csv and json
files are put in a zip encrypted with AES-256 (pyzipper), which 7-Zip and most archive tools open.
"""
from __future__ import annotations

import os

import pyzipper
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
