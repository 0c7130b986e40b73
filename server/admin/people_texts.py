"""The texts of the pages about people (users, agencies, groups, roles, the audit log), for their scripts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PEOPLE_TEXTS = {
    "user_disabled": _l("disabled"), "user_active": _l("active"), "enable": _l("Enable"), "disable": _l("Disable"),
    "reset_password": _l("Reset the password"),
    "new_password_for": _l("New password for %(user)s (a long phrase, not a common one, without the person's name):"),
    "role_of": _l("Role of"), "agency_of": _l("Agency of"),
}
