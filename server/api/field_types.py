"""The field-type registry, served: a form renderer learns every type from here, with no list of its own."""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import get_locale
from flask_smorest import Blueprint

from server.api import responses as docs
from server.api.common import conditional, envelope
from server.api.openapi import answers
from server.metadata.field_types import describe_types, registry_fingerprint

blp = Blueprint("field_types", __name__, description="The field types forms are made of.")


@blp.route("/field_types")
class FieldTypes(MethodView):
    @answers(revalidates=True, everyone=True)
    @blp.response(200, docs.list_of("FieldTypeList", docs.FieldType, docs.CountMeta), headers=docs.ETAG)
    def get(self):
        """Every field type: its label, its values, how lists filter and search it, its export cell, how to show it.

        Any signed-in user may read it. Labels are in the request's language; revalidate with If-None-Match.
        """
        locale = get_locale()
        rows = describe_types(str(locale) if locale else None)
        return conditional((registry_fingerprint(rows),), lambda: envelope(rows, total=len(rows)))
