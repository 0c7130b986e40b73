"""Devices for field sync: register one's own tablet, list and revoke one's own; an administrator lists and revokes
those of a user (user: manage). Parse, call server.services.devices, dump.
"""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import envelope, request_context
from server.api.openapi import answers
from server.api.authentication import require_permission
from server.services import devices as use_cases

blp = Blueprint("devices", __name__, description="Devices registered for field sync; revocation.")


class DeviceData(ArgumentSchema):
    id = fields.UUID(required=True, metadata={"description": "The device's own id, made by the app once (a uuid)."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "What its user and the administrators call it."})


class DeviceBody(ArgumentSchema):
    data = fields.Nested(DeviceData, required=True)


class Device(Schema):
    id = fields.String(required=True)
    user_name = fields.String(required=True)
    name = fields.String(required=True)
    registered_at = fields.DateTime(required=True)
    last_seen_at = docs.moment()
    last_sync_at = docs.moment()
    revoked = fields.Boolean(required=True)
    revoked_at = docs.moment()
    revoked_by = docs.nullable_string()


class RegisteredDevice(Device):
    credential = fields.String(required=True, metadata={
        "description": "The device's credential (shown once): send it as `Authorization: Bearer ...` from this "
                       "device. It acts as its user, lasts DEVICE_TTL_DAYS and is renewed while the device syncs."})
    expires_at = fields.DateTime(required=True)


ONE, MANY, REGISTERED = (docs.one("DeviceAnswer", Device), docs.list_of("DeviceList", Device, docs.CountMeta),
                         docs.one("RegisteredDeviceAnswer", RegisteredDevice))


def _list(items):
    return envelope(items, total=len(items))


@blp.route("/devices")
class OwnDevices(MethodView):
    @blp.response(200, MANY)
    def get(self):
        """The caller's own devices."""
        return _list(use_cases.list_own_devices(request_context()))

    @answers(409)
    @blp.arguments(DeviceBody)
    @blp.response(201, REGISTERED)
    def post(self, body):
        """Register this device for the caller (with a login made with their password): its credential, once."""
        data = body["data"]
        return envelope(use_cases.register_device(request_context(), str(data["id"]), data["name"],
                                                  g.get("token_entry")), status=201)


@blp.route("/devices/<uuid:device_id>")
class OwnDevice(MethodView):
    @answers(409)
    @blp.response(200, ONE)
    def delete(self, device_id):
        """Revoke one of the caller's own devices."""
        return envelope(use_cases.revoke_own_device(request_context(), str(device_id), g.get("token_entry")))


@blp.route("/users/<user_name>/devices")
class UserDevices(MethodView):
    @require_permission("user", "manage")
    @blp.response(200, MANY)
    def get(self, user_name):
        """A user's devices (user: manage, for a user whose role the caller may assign)."""
        return _list(use_cases.list_user_devices(request_context(), user_name))


@blp.route("/users/<user_name>/devices/<uuid:device_id>")
class UserDevice(MethodView):
    @answers(409)
    @require_permission("user", "manage")
    @blp.response(200, ONE)
    def delete(self, user_name, device_id):
        """Revoke a user's device: its credential stops at once, and its next call is told to erase its data."""
        return envelope(use_cases.revoke_user_device(request_context(), user_name, str(device_id)))
