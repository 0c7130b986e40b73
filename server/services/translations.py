"""Translation use cases over the draft: coverage per language, the translators' spreadsheet out and back in.

Translators (`metadata: manage_translations`) and metadata managers may use them. An uploaded
spreadsheet changes only the target language's texts, every row or none.
"""
from __future__ import annotations

from typing import Any

from server.export.translation_workbook import read_translation_workbook, write_translation_workbook
from server.metadata import draft as drafts, translations
from server.services.configuration import MANAGE, TRANSLATE, languages_of
from server.services.context import Context
from server.services.permission import require_any


def coverage(ctx: Context, locale: str | None = None) -> dict[str, Any]:
    """Translated labels per language (one, or every configured one) and per document of the draft."""
    require_any(ctx, MANAGE, TRANSLATE)
    settings = languages_of(ctx)
    return translations.coverage(drafts.draft_configuration(ctx.db), (locale,) if locale else settings.languages,
                                 settings.default)


def workbook(ctx: Context, locale: str) -> bytes:
    """The translators' spreadsheet (xlsx) of the draft for one language."""
    require_any(ctx, MANAGE, TRANSLATE)
    default = languages_of(ctx).default
    return write_translation_workbook(
        translations.translation_rows(drafts.draft_configuration(ctx.db), locale, default), locale, default)


def upload(ctx: Context, locale: str, data: bytes) -> list[dict[str, Any]]:
    """Apply a filled spreadsheet to the draft (every row or none); return what changed."""
    require_any(ctx, MANAGE, TRANSLATE)
    sheets = read_translation_workbook(data)
    settings = languages_of(ctx)
    translations.check_target_language(locale, settings)
    rows = [(f"{sheet}!{number}", values) for sheet, numbered in sheets for number, values in numbered]
    bodies, changes = translations.apply_rows(drafts.draft_configuration(ctx.db), rows, locale, settings.default)
    for (kind, uid), body in bodies.items():
        drafts.modify_document(ctx.db, kind, uid, lambda _old, new=body: new, None, settings, ctx.user_name, ctx.now,
                               translations_only=True)
    return changes
