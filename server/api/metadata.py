"""Configuration versions: the draft's status, publish, history, diff, restore."""
from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, conditional, envelope, page_size, published, request_context
from server.api.openapi import answers
from server.api.authentication import require_any_permission, require_permission
from server.services import configuration, translations

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
        return envelope(configuration.draft_status(request_context()))


class ImpactArgs(ArgumentSchema):
    locale = fields.String(validate=validate.Length(max=10))


@blp.route("/metadata/draft/impact")
class DraftImpact(MethodView):
    @require_permission(*PERMISSION)
    @blp.arguments(ImpactArgs, location="query")
    @blp.response(200, docs.one("PublishImpactAnswer", docs.PublishImpact))
    def get(self, args):
        """What publishing the draft would change on the devices (labels in the reader's language), how many users
        and devices receive it, and how many records hold data for the fields it removes."""
        ctx = request_context()
        return envelope(configuration.publish_impact(ctx, ctx.locale or current_app.config["DEFAULT_LANGUAGE"]))


@blp.route("/metadata/publish")
class Publish(MethodView):
    @answers(409)
    @require_permission(*PERMISSION)
    @blp.arguments(PublishBody)
    @blp.response(201, PUBLISHED)
    def post(self, body):
        """Run every check and publish the draft as the next version."""
        result = configuration.publish(request_context(), body["data"]["comment"])
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
            items, total = configuration.list_versions(request_context(), page, per_page)
            return envelope(items, total=total, page=page, per_page=per_page)
        return conditional((published().fingerprint,), build)


@blp.route("/metadata/versions/<int:number>")
class Version(MethodView):
    @answers(revalidates=True)
    @require_permission(*PERMISSION)
    @blp.response(200, docs.one("VersionAnswer", docs.Version), headers=docs.ETAG)
    def get(self, number):
        """One version: who, when, comment, changes, and its documents' content hashes."""
        return conditional((published().fingerprint,), lambda: envelope(configuration.get_version(request_context(), number)))


@blp.route("/metadata/versions/<int:a>/diff/<int:b>")
class Diff(MethodView):
    @answers(revalidates=True)
    @require_permission(*PERMISSION)
    @blp.response(200, docs.list_of("Diff", docs.Change, docs.DiffMeta), headers=docs.ETAG)
    def get(self, a, b):
        """What changed from version a to version b, document by document and field by field."""
        return conditional((published().fingerprint,),
                           lambda: envelope(configuration.diff_versions(request_context(), a, b), base=a, target=b))


@blp.route("/metadata/versions/<int:a>/changes/<int:b>")
class ReadableDiff(MethodView):
    @require_permission(*PERMISSION)
    @blp.arguments(ImpactArgs, location="query")
    @blp.response(200, docs.list_of("ReadableDiff", docs.ReadableChange, docs.DiffMeta))
    def get(self, args, a, b):
        """What changed from version a to version b as a person reads it: labels and property names in the reader's
        language, nothing reported where nothing changed."""
        ctx = request_context()
        changes = configuration.readable_diff(ctx, a, b, ctx.locale or current_app.config["DEFAULT_LANGUAGE"])
        return envelope(changes, base=a, target=b)


@blp.route("/metadata/versions/<int:number>/restore")
class Restore(MethodView):
    @answers(409)
    @require_permission(*PERMISSION)
    @blp.arguments(RestoreBody)
    @blp.response(201, PUBLISHED)
    def post(self, body, number):
        """Publish an old version again as a new version (and make it the draft)."""
        data = body["data"]
        result = configuration.restore(request_context(), number, data["comment"], data["discard_draft"])
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
        return envelope(translations.coverage(request_context(), args.get("locale")))


@blp.route("/metadata/translations.xlsx")
class TranslationSheet(MethodView):
    @require_any_permission(PERMISSION, TRANSLATE)
    @blp.arguments(LocaleArgs, location="query")
    @blp.response(200, FILE, content_type=XLSX, description="The spreadsheet (xlsx).")
    def get(self, args):
        """The translators' spreadsheet of the draft for one language."""
        data = translations.workbook(request_context(), args["locale"])
        return Response(data, mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="translations-{args["locale"]}.xlsx"'})

    @require_any_permission(PERMISSION, TRANSLATE)
    @blp.arguments(LocaleArgs, location="query")
    @blp.doc(requestBody={"required": True, "content": {XLSX: {"schema": FILE}}})
    @blp.response(200, docs.list_of("TranslationChanges", docs.TranslationChange, docs.CountMeta))
    def post(self, args):
        """Upload the filled spreadsheet (the xlsx file as the body): the draft's texts in that language change."""
        changes = translations.upload(request_context(), args["locale"], request.get_data())
        return envelope(changes, total=len(changes))
