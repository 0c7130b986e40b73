"""Configuration versions: the draft's status, publish, history, diff, restore."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, actor, conditional, db, envelope, languages, page_size, published
from server.api.openapi import answers
from server.auth import require_any_permission, require_permission
from server.auth.audit import log_event
from server.export.translation_workbook import read_translation_workbook, write_translation_workbook
from server.metadata import draft as drafts, translations, versions
from server.records import service as record_service

blp = Blueprint("metadata", __name__, description="Draft, publish, versions, diff, restore.")
PERMISSION = ("metadata", "manage")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = docs.FILE
PUBLISHED = docs.one("PublishedVersion", docs.Version, docs.PublishMeta)


class PublishData(ArgumentSchema):
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class PublishBody(ArgumentSchema):
    data = fields.Nested(PublishData, load_default=lambda: PublishData().load({}))


class RestoreData(PublishData):
    discard_draft = fields.Boolean(load_default=False)


class RestoreBody(ArgumentSchema):
    data = fields.Nested(RestoreData, load_default=lambda: RestoreData().load({}))


@blp.route("/metadata/draft")
class Draft(MethodView):
    @require_permission(*PERMISSION)
    @blp.response(200, docs.one("DraftStatusAnswer", docs.DraftStatus))
    def get(self):
        """The draft's changes against the published version, with check results."""
        return envelope(drafts.draft_status(db(), languages()))


@blp.route("/metadata/publish")
class Publish(MethodView):
    @answers(409)
    @require_permission(*PERMISSION)
    @blp.arguments(PublishBody)
    @blp.response(201, PUBLISHED)
    def post(self, body):
        """Run every check and publish the draft as the next version."""
        user, now = actor()
        result = drafts.publish_draft(db(), languages(), user, now, body["data"]["comment"])
        record_service.ensure_indexes(db(), versions.published_configuration(db()))
        log_event(db(), action="metadata_publish", user_name=user, at=now, address=request.remote_addr,
                  detail=f"version {result['version']['version']}")
        return envelope(result["version"], status=201, warnings=result["warnings"])


# A published version never changes, and the list changes only when one is published: the newest
# version's fingerprint tags all three (a restore publishes a new version, so it changes the tag too).

@blp.route("/metadata/versions")
class Versions(MethodView):
    @answers(revalidates=True)
    @require_permission(*PERMISSION)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, docs.list_of("VersionList", docs.Version), headers=docs.ETAG)
    def get(self, args):
        """Published versions, newest first."""
        page, per_page = page_size(args)

        def build():
            items, total = versions.list_versions(db(), page, per_page)
            return envelope(items, total=total, page=page, per_page=per_page)
        return conditional((published().fingerprint,), build)


@blp.route("/metadata/versions/<int:number>")
class Version(MethodView):
    @answers(revalidates=True)
    @require_permission(*PERMISSION)
    @blp.response(200, docs.one("VersionAnswer", docs.Version), headers=docs.ETAG)
    def get(self, number):
        """One version: who, when, comment, changes, and its documents' content hashes."""
        return conditional((published().fingerprint,), lambda: envelope(versions.get_version(db(), number)))


@blp.route("/metadata/versions/<int:a>/diff/<int:b>")
class Diff(MethodView):
    @answers(revalidates=True)
    @require_permission(*PERMISSION)
    @blp.response(200, docs.list_of("Diff", docs.Change, docs.DiffMeta), headers=docs.ETAG)
    def get(self, a, b):
        """What changed from version a to version b, document by document and field by field."""
        return conditional((published().fingerprint,),
                           lambda: envelope(versions.diff_versions(db(), a, b), base=a, target=b))


@blp.route("/metadata/versions/<int:number>/restore")
class Restore(MethodView):
    @answers(409)
    @require_permission(*PERMISSION)
    @blp.arguments(RestoreBody)
    @blp.response(201, PUBLISHED)
    def post(self, body, number):
        """Publish an old version again as a new version (and make it the draft)."""
        user, now = actor()
        data = body["data"]
        result = drafts.restore_version(db(), number, languages(), user, now, data["comment"], data["discard_draft"])
        record_service.ensure_indexes(db(), versions.published_configuration(db()))
        log_event(db(), action="metadata_restore", user_name=user, at=now, address=request.remote_addr,
                  detail=f"version {number} as {result['version']['version']}")
        return envelope(result["version"], status=201, warnings=result["warnings"])


TRANSLATE = ("metadata", "manage_translations")


class CoverageArgs(ArgumentSchema):
    locale = fields.String(validate=validate.Length(max=10))


class LocaleArgs(ArgumentSchema):
    locale = fields.String(required=True, validate=validate.Length(max=10))


@blp.route("/metadata/translations/coverage")
class TranslationCoverage(MethodView):
    @require_any_permission(PERMISSION, TRANSLATE)
    @blp.arguments(CoverageArgs, location="query")
    @blp.response(200, docs.envelope_of("Coverage", fields.Dict(
        keys=fields.String(), values=fields.Nested(docs.LanguageCoverage), required=True,
        metadata={"description": "language -> its coverage."})))
    def get(self, args):
        """Translated labels per language and per document (of the draft), with the missing ones."""
        config = drafts.draft_configuration(db())
        chosen = (args["locale"],) if args.get("locale") else languages().languages
        return envelope(translations.coverage(config, chosen, languages().default))


@blp.route("/metadata/translations.xlsx")
class TranslationSheet(MethodView):
    @require_any_permission(PERMISSION, TRANSLATE)
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, FILE, content_type=XLSX, description="The spreadsheet (xlsx).")
    def get(self, args):
        """The translators' spreadsheet of the draft for one language."""
        data = write_translation_workbook(
            translations.translation_rows(drafts.draft_configuration(db()), args["locale"], languages().default),
            args["locale"], languages().default)
        return Response(data, mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="translations-{args["locale"]}.xlsx"'})

    @require_any_permission(PERMISSION, TRANSLATE)
    @blp.arguments(LocaleArgs, location="query")
    @blp.doc(requestBody={"required": True, "content": {XLSX: {"schema": FILE}}})
    @blp.response(200, docs.list_of("TranslationChanges", docs.TranslationChange, docs.CountMeta))
    def post(self, args):
        """Upload the filled spreadsheet (the xlsx file as the body): the draft's texts in that language change."""
        user, now = actor()
        changes = translations.import_translations(db(), read_translation_workbook(request.get_data()),
                                                   args["locale"], languages(), user, now)
        return envelope(changes, total=len(changes))
