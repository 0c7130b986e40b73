"""Alerts: who is told of what, listed and marked read, carried by a sync pull, streamed live, and e-mailed through
an SMTP server (a local sink here), on the shipped configuration and on both backends."""
from __future__ import annotations

import email
import socketserver
import threading
import uuid
from email import policy

import pytest

from server.services import workers
from server.storage import get_db
from tests.api.test_case_journey import Journey, ok, people  # noqa: F401  (people: a fixture)


def alerts_of(client, **query):
    return ok(client.get("/api/v1/alerts", query_string=query))


def kinds(client, **query):
    return [(alert["kind"], alert["by"]) for alert in alerts_of(client, **query)["data"]]


def test_each_participant_is_told_what_concerns_them_and_nobody_of_their_own_actions(people):
    journey = Journey(people)
    case_id = journey.case["id"]
    assert alerts_of(people["awa"])["data"] == []  # her own registration

    referred = journey.as_("awa", "POST", "/referrals", to_user="police", notes="Plainte à recevoir")
    referral = referred["data"]["transitions"][-1]["id"]
    told = alerts_of(people["police"], locale="fr")["data"]
    assert [(a["kind"], a["by"], a["record_id"], a["detail"], a["read"]) for a in told] == [
        ("referral_received", "awa", case_id, {"transition_id": referral}, False)]
    assert told[0]["message"] == f"Le dossier {journey.case['case_id_display']} vous a été référé par awa."
    assert "Afi" not in str(told)  # an alert names the record, never what it holds

    journey.as_("police", "POST", f"/referrals/{referral}/accept")
    assert kinds(people["awa"]) == [("referral_accepted", "police")]
    journey.as_("awa", "POST", "/flags", reason="Menaces de l'oncle")  # her own flag: nobody else owns the case
    assert kinds(people["awa"]) == [("referral_accepted", "police")]
    people["sika"].post(journey.url + "/flags", json={"data": {"reason": "À revoir en réunion"}})
    journey.as_("awa", "POST", "/approvals/assessment")
    journey.as_("sika", "POST", "/approvals/assessment/decision", approved=False, comments="Incomplet")
    assert kinds(people["awa"])[:2] == [("approval_rejected", "sika"), ("flag_raised", "sika")]

    # A colleague's changes to her case: one alert, counted, however many changes while it is unread.
    for age in (12, 13):
        ok(people["sika"].patch(journey.url, json={"data": {"age": age}}))
    changed = [a for a in alerts_of(people["awa"])["data"] if a["kind"] == "record_changed"]
    assert [(a["count"], a["by"]) for a in changed] == [(2, "sika")]
    journey.edit(age=11)  # her own change: no alert to anyone
    assert alerts_of(people["sika"])["data"] == []


def test_alerts_are_marked_read_only_by_their_owner(people):
    journey = Journey(people)
    journey.as_("awa", "POST", "/referrals", to_user="police")
    journey.as_("awa", "POST", "/transfers", to_user="sika")
    police_alert = alerts_of(people["police"])["data"][0]["id"]
    sika_alert = alerts_of(people["sika"])["data"][0]["id"]
    assert alerts_of(people["sika"])["data"][0]["kind"] == "transfer_received"

    # Another user's id marks nothing, and says nothing of it.
    marked = ok(people["police"].post("/api/v1/alerts/read", json={"data": {"ids": [sika_alert]}}))
    assert marked["meta"]["marked"] == 0
    assert alerts_of(people["sika"], unread="true")["meta"]["total"] == 1
    assert ok(people["police"].post("/api/v1/alerts/read", json={"data": {"ids": [police_alert]}}))["meta"] == {
        "marked": 1}
    assert alerts_of(people["police"], unread="true")["data"] == []
    assert alerts_of(people["police"])["data"][0]["read"] is True
    assert ok(people["sika"].post("/api/v1/alerts/read", json={"data": {"all": True}}))["meta"]["marked"] == 1

    for body in ({}, {"data": {}}, {"data": {"ids": [], "all": True}}, {"data": {"ids": ["x"]}},
                 {"data": {"ids": [str(uuid.uuid4())] * 501}}, {"data": {"ids": {"$ne": None}}},
                 {"data": {"all": True, "ids": [police_alert]}}):
        refused = people["police"].post("/api/v1/alerts/read", json=body)
        assert refused.status_code in (400, 422), body
        assert refused.get_json()["error"]["details"], body
    assert people["police"].get("/api/v1/alerts?per_page=0").status_code == 400


def test_a_sync_pull_carries_the_unread_alerts(people):
    journey = Journey(people)
    journey.as_("awa", "POST", "/referrals", to_user="police")
    pulled = ok(people["police"].get("/api/v1/sync/records"))["meta"]["alerts"]
    assert pulled["unread"] == 1 and [a["kind"] for a in pulled["items"]] == ["referral_received"]
    ok(people["police"].post("/api/v1/alerts/read", json={"data": {"all": True}}))
    assert ok(people["police"].get("/api/v1/sync/records"))["meta"]["alerts"] == {"unread": 0, "items": []}


def events_of(chunks) -> list[tuple[str, str]]:
    """(id, data) of each event in a server-sent events text."""
    found = []
    text = "".join(chunk.decode() if isinstance(chunk, bytes) else chunk for chunk in chunks)
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":")
                     and ": " in line)
        if lines.get("event") == "alert":
            found.append((lines["id"], lines["data"]))
    return found


def test_alerts_stream_live_and_a_reconnection_resumes_after_the_last_event(people):
    app = people["awa"].application
    app.config.update(ALERT_STREAM_SECONDS=1, ALERT_POLL_SECONDS=0.02)
    journey = Journey(people)
    stream = people["police"].get("/api/v1/alerts/stream", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    assert stream.headers["Cache-Control"] == "no-store"
    chunks = iter(stream.response)
    first = [next(chunks)]  # the stream is open: what happens now reaches it
    journey.as_("awa", "POST", "/referrals", to_user="police")
    received = events_of([*first, *chunks])
    stream.close()
    assert len(received) == 1 and '"kind": "referral_received"' in received[0][1]

    # Reconnecting with the last id gets only what came after it.
    journey.as_("awa", "POST", f"/referrals/{journey.as_('awa', 'GET')['data']['transitions'][0]['id']}/revoke")
    resumed = people["police"].get("/api/v1/alerts/stream", headers={"Last-Event-ID": received[0][0]})
    assert [data.count("referral_revoked") for _, data in events_of([resumed.get_data(as_text=True)])] == [1]
    everything = people["police"].get("/api/v1/alerts/stream?last_event_id=0")
    assert len(events_of([everything.get_data(as_text=True)])) == 2
    assert events_of([people["sika"].get("/api/v1/alerts/stream?last_event_id=0").get_data(as_text=True)]) == []


def test_a_full_server_refuses_a_stream_with_a_time_to_wait(people):
    app = people["awa"].application
    app.config.update(ALERT_STREAMS_MAX=0, ALERT_STREAM_SECONDS=7)
    refused = people["police"].get("/api/v1/alerts/stream", headers={"Accept-Language": "fr"})
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "7"
    assert refused.get_json()["error"]["code"] == "ALERT_STREAMS_FULL"
    assert "7 secondes" in refused.get_json()["error"]["message"]
    assert people["police"].application.test_client().get("/api/v1/alerts/stream").status_code == 401


class Sink(socketserver.ThreadingTCPServer):
    """A local SMTP server that keeps what it receives (enough of RFC 5321 for smtplib)."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        super().__init__(("127.0.0.1", 0), SinkHandler)


class SinkHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 sink ready\r\n")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 sink\r\n")
            elif verb == b"MAIL":
                recipients = []
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                recipients.append(line.split(b"<", 1)[1].split(b">", 1)[0].decode())
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.messages.append((recipients, body))
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def sink():
    server = Sink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_alerts_are_emailed_in_the_users_language_without_anything_about_the_child(people, sink):
    app = people["awa"].application
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.server_address[1], SMTP_SECURITY="none",
                      MAIL_FROM="alertes@abri.example")
    with app.app_context():
        get_db()["users"].update_one({"_id": "police"}, {"$set": {"email": "police@brigade.example",
                                                                  "locale": "fr"}})
    journey = Journey(people)
    journey.as_("awa", "POST", "/referrals", to_user="police", notes="Plainte à recevoir")
    journey.as_("awa", "POST", "/transfers", to_user="sika")  # sika has no e-mail address: nothing is sent
    assert workers.send_mail_once(app, "test-worker") and workers.send_mail_once(app, "test-worker")
    assert not workers.send_mail_once(app, "test-worker")
    [(to, raw)] = sink.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert to == ["police@brigade.example"] and message["From"] == "Abri <alertes@abri.example>"
    assert message["Subject"] == f"Abri : Le dossier {journey.case['case_id_display']} vous a été référé par awa."
    text = message.get_content()
    assert "Connectez-vous à Abri" in text
    for value in ("Afi", "Houngbédji", "Violences répétées", "gbv_survivor", "Plainte à recevoir"):
        assert value not in text and value not in message["Subject"], value
    with app.app_context():
        states = {alert["user"]: alert["mail"] for alert in get_db()["alerts"].find()}
    assert states == {"police": "sent", "sika": "failed"}


def test_an_unreachable_smtp_server_is_tried_again_later(people):
    app = people["awa"].application
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")
    with app.app_context():
        get_db()["users"].update_one({"_id": "police"}, {"$set": {"email": "police@brigade.example"}})
    journey = Journey(people)
    journey.as_("awa", "POST", "/referrals", to_user="police")
    assert workers.send_mail_once(app, "test-worker")
    with app.app_context():
        alert = get_db()["alerts"].find_one({"user": "police"})
    assert alert["mail"] == "pending" and alert["mail_tries"] == 1
    assert not workers.send_mail_once(app, "test-worker")  # not before its time to try again


def test_a_stream_closed_before_it_is_read_gives_its_place_back(people):
    from server.services import alerts

    before = alerts.open_streams()
    unread = people["police"].get("/api/v1/alerts/stream", buffered=False)
    assert alerts.open_streams() == before + 1
    unread.close()
    read = people["police"].get("/api/v1/alerts/stream")
    assert read.get_data(as_text=True).startswith("retry: 3000") and alerts.open_streams() == before
