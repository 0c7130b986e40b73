"""The admin pages are shells: served to anyone, they hold no configuration or record data."""


def test_pages_hold_no_data_and_forbid_framing(app):
    anonymous = app.test_client()
    page = anonymous.get("/admin/forms/basic_identity")
    assert page.status_code == 200
    assert b"Basic identity" not in page.data and b"lookup-sex" not in page.data
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert anonymous.get("/api/v1/forms/basic_identity").status_code == 401


def test_the_interface_language_is_kept_in_a_cookie(app):
    browser = app.test_client()
    switched = browser.get("/admin/language/fr?next=/admin/forms")
    assert switched.status_code == 302 and switched.headers["Location"] == "/admin/forms"
    assert "Mot de passe".encode() in browser.get("/admin/login").data
    assert browser.get("/admin/language/xx").status_code == 302
    assert "Mot de passe".encode() in browser.get("/admin/login").data
    assert browser.get("/admin/language/en?next=https://evil.example/").headers["Location"] == "/admin/"
