"""Configuration folders on disk: one JSON file per document, stable and diff-friendly.

    DIR/modules/<unique_id>.json   DIR/lookups/<unique_id>.json   DIR/forms/<unique_id>.json
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.errors import Detail, Error, Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, KIND_FOLDERS, KINDS, MODULE, ROLE, meta_schema, validate_document
from server.rules import Rule


def read_directory(directory: str | Path) -> list[tuple[str, str, dict]]:
    """Read and validate every document of a configuration folder; all problems at once."""
    root = Path(directory)
    if not root.is_dir():
        raise Unprocessable(Error.FOLDER_MISSING, path=str(root))
    documents, details = [], []
    for kind in KINDS:
        for path in sorted((root / KIND_FOLDERS[kind]).glob("*.json")):
            name = f"{KIND_FOLDERS[kind]}/{path.name}"
            try:
                body = json.loads(path.read_text("utf-8"))
                validate_document(kind, body)
            except json.JSONDecodeError as error:
                details.append(Detail.of(name, Rule.JSON, reason=str(error)))
                continue
            except Unprocessable as error:
                details += [Detail(name + d.field, d.code, d.message, d.params) for d in error.details]
                continue
            if body["unique_id"] != path.stem:
                details.append(Detail.of(name, Rule.FILE_NAME, expected=body["unique_id"] + ".json"))
                continue
            documents.append((kind, body["unique_id"], body))
    if details:
        raise Unprocessable(Error.FOLDER_INVALID, details=details, count=len(details))
    return documents


def read_configuration(directory: str | Path, profile: str | None = None) -> list[tuple[str, str, dict]]:
    """Read the base configuration and, with a profile, the country overlay (DIR/countries/<profile>/).

    An overlay document replaces the base document of the same kind and id, or adds to them.
    """
    documents = {(kind, uid): body for kind, uid, body in read_directory(directory)}
    if profile:
        overlay = Path(directory) / "countries" / profile
        if not overlay.is_dir():
            raise Unprocessable(Error.PROFILE_UNKNOWN, profile=profile, path=str(overlay))
        documents.update({(kind, uid): body for kind, uid, body in read_directory(overlay)})
        settings = read_profile(directory, profile)
        grant_profile_forms(documents, settings.get("form_access", {}))
        add_profile_identifiers(documents, settings.get("matching_identifiers", []))
    return [(kind, uid, body) for (kind, uid), body in documents.items()]


def grant_profile_forms(documents: dict[tuple[str, str], dict], form_access: dict[str, dict[str, str]]) -> None:
    """Give roles the forms a country adds, as profile.json's form_access says ({form: {role: "r"|"rw"}}).

    The base roles cannot name those forms (the base configuration does not have them), and copies of
    whole roles in each overlay would drift from the base ones; roles that see every form are left alone.
    """
    details = []
    for form_id, grants in form_access.items():
        if (FORM, form_id) not in documents:
            details.append(Detail.of(f"profile.json/form_access/{form_id}", Rule.FORM_UNKNOWN, form=form_id))
            continue
        for role_id, access in grants.items():
            role = documents.get((ROLE, role_id))
            if role is None or access not in ("r", "rw"):
                details.append(Detail.of(f"profile.json/form_access/{form_id}/{role_id}", Rule.GRANT_INVALID))
            elif "form_section_read_write" in role:
                documents[(ROLE, role_id)] = {**role, "form_section_read_write": {
                    **role["form_section_read_write"], form_id: access}}
    if details:
        raise Unprocessable(Error.FOLDER_INVALID, details=details, count=len(details))


def add_profile_identifiers(documents: dict[tuple[str, str], dict], identifiers: list[str]) -> None:
    """Add the identity numbers of a country (profile.json's matching_identifiers: NPI in Bénin, the birth
    certificate number in Cameroon) to the matching rules of each module that has them; the configuration's checks
    then refuse a name that is not a field."""
    if not isinstance(identifiers, list) or not all(isinstance(name, str) for name in identifiers):
        raise Unprocessable(Error.FOLDER_INVALID, count=1, details=[
            Detail.of("profile.json/matching_identifiers", Rule.FIELD_NAME_LIST)])
    for (kind, uid), body in list(documents.items()):
        rules = body.get("matching") if kind == MODULE else None
        if isinstance(rules, dict) and identifiers:
            known = list(rules.get("identifiers") or [])
            documents[(kind, uid)] = {**body, "matching": {
                **rules, "identifiers": known + [name for name in identifiers if name not in known]}}


def read_profile(directory: str | Path, profile: str) -> dict[str, Any]:
    """The settings of a country profile (DIR/countries/<profile>/profile.json): languages, phone, agencies."""
    path = Path(directory) / "countries" / profile / "profile.json"
    if not path.exists():
        raise Unprocessable(Error.PROFILE_UNKNOWN, profile=profile, path=str(path.parent))
    return json.loads(path.read_text("utf-8"))


def profile_documents(directory: str | Path, profile: str) -> set[tuple[str, str]]:
    """The (kind, unique_id) of the documents a country overlay adds or replaces."""
    return {(kind, uid) for kind, uid, _ in read_directory(Path(directory) / "countries" / profile)}


def list_profiles(directory: str | Path) -> list[str]:
    """The country profiles a configuration folder has (DIR/countries/<profile>/profile.json)."""
    return sorted(path.parent.name for path in (Path(directory) / "countries").glob("*/profile.json"))


def _ordered(value: Any, schema: dict[str, Any] | None) -> Any:
    """Order keys as the meta-schema lists them (others sorted), recursively."""
    if schema and "$ref" in schema:
        schema = meta_schema(schema["$ref"].removesuffix(".json"))
    if isinstance(value, list):
        return [_ordered(item, (schema or {}).get("items")) for item in value]
    if not isinstance(value, dict):
        return value
    properties = (schema or {}).get("properties", {})
    keys = [key for key in properties if key in value] + sorted(key for key in value if key not in properties)
    return {key: _ordered(value[key], properties.get(key)) for key in keys}


def document_text(kind: str, body: dict[str, Any]) -> str:
    """Return the file text of a document: meta-schema key order, 2 spaces, real accents."""
    return json.dumps(_ordered(body, meta_schema(kind)), indent=2, ensure_ascii=False) + "\n"


def dump_directory(config: Configuration, directory: str | Path) -> int:
    """Write a configuration as files (removing files of documents it no longer has); return the count."""
    root = Path(directory)
    written = 0
    for kind in KINDS:
        folder = root / KIND_FOLDERS[kind]
        folder.mkdir(parents=True, exist_ok=True)
        keep = set()
        for unique_id, body in sorted(config.documents_by_kind[kind].items()):
            path = folder / f"{unique_id}.json"
            text = document_text(kind, body)
            keep.add(path.name)
            if not path.exists() or path.read_text("utf-8") != text:
                path.write_text(text, "utf-8")
            written += 1
        for stale in folder.glob("*.json"):
            if stale.name not in keep:
                stale.unlink()
    return written
