"""Device use cases: register a device of one's own, list one's devices, and an administrator's list and revoke.

A user registers their own tablet (with a login made with their password, never with another device's credential)
and may revoke it themselves (signing a tablet out). An administrator (user: manage) lists and revokes the devices
of a user whose role theirs may assign, as for any edit of that user. Registration and revocation are audited
(`device_registered`, `device_revoked`, with the device id), refusals too; each sync is audited by the sync use cases
with the device it came from.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.auth import accounts, devices
from server.auth.names import normalize_user_name
from server.auth.rights import check_user_edit
from server.errors import Conflict, Error, Forbidden, NotFound
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require, require_signed_in

MANAGE_USERS = ("user", "manage")


def register_device(ctx: Context, device_id: str, name: str, token_entry: dict[str, Any] | None) -> dict[str, Any]:
    """Register the caller's device; its credential is in the answer, shown once."""
    require_signed_in(ctx)
    user = _own_account(ctx)
    try:
        devices.require_password_login(token_entry)
        device, credential = devices.register(ctx.db, user, device_id, name, ctx.now,
                                              timedelta(days=ctx.settings["DEVICE_TTL_DAYS"]))
    except (Forbidden, Conflict) as error:
        audit(ctx, "device_register_refused", "device", detail=f"{error.code}: device {device_id}",
              status=error.status)
        raise
    audit(ctx, "device_registered", "device", detail=f"device {device_id}")
    return {**devices.present(device), "credential": credential["token"], "expires_at": credential["expires_at"]}


def list_own_devices(ctx: Context) -> list[dict[str, Any]]:
    require_signed_in(ctx)
    return [devices.present(device) for device in devices.list_devices(ctx.db, _own_account(ctx)["_id"])]


def revoke_own_device(ctx: Context, device_id: str, token_entry: dict[str, Any] | None) -> dict[str, Any]:
    """Revoke one of the caller's own devices (a tablet signed out for good).

    From a device, only that device: revoking another one (which is then told to erase what it has not synced yet)
    needs its user's own login, as registering does.
    """
    require_signed_in(ctx)
    if ctx.device_id is not None and ctx.device_id != device_id:
        audit(ctx, "device_revoke_refused", "device", status=403, detail=f"DEVICE_NEEDS_LOGIN: device {device_id}")
        raise Forbidden(Error.DEVICE_REVOKE_NEEDS_LOGIN)
    user = _own_account(ctx)
    device = devices.revoke(ctx.db, user["_id"], device_id, user["_id"], ctx.now)
    audit(ctx, "device_revoked", "device", detail=f"device {device_id} of {user['_id']}")
    return devices.present(device)


def list_user_devices(ctx: Context, user_name: str) -> list[dict[str, Any]]:
    """The devices of a user the caller may manage."""
    user = _managed_user(ctx, user_name)
    return [devices.present(device) for device in devices.list_devices(ctx.db, user["_id"])]


def revoke_user_device(ctx: Context, user_name: str, device_id: str) -> dict[str, Any]:
    """Revoke a device of a user the caller may manage: its credential stops at once; it is told to erase its data."""
    user = _managed_user(ctx, user_name)
    try:
        device = devices.revoke(ctx.db, user["_id"], device_id, ctx.user_name, ctx.now)
    except NotFound:
        audit(ctx, "device_revoke_refused", "device", status=404, detail=f"device {device_id} of {user['_id']}")
        raise
    audit(ctx, "device_revoked", "device", detail=f"device {device_id} of {user['_id']}")
    return devices.present(device)


def _own_account(ctx: Context) -> dict[str, Any]:
    if ctx.principal is None:  # the operator has no account, hence no device
        raise NotFound(kind=accounts.LABELS["users"], id=ctx.user_name)
    return accounts.get(ctx.db, "users", ctx.principal.user_name)


def _managed_user(ctx: Context, user_name: str) -> dict[str, Any]:
    require(ctx, *MANAGE_USERS)
    user = accounts.get(ctx.db, "users", normalize_user_name(user_name))
    if not ctx.is_operator and user["_id"] != ctx.principal.user_name:
        try:
            check_user_edit(ctx.config, ctx.principal, user, {})
        except Forbidden as error:
            audit(ctx, "device_list_refused", "device", status=403, detail=f"{error.code}: {user['_id']}")
            raise
    return user
