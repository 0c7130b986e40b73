"""Aggregate reports: what a report document says, how its numbers are made, and what leaves the server.

A report is a metadata document (kind `report`, metadata/reports/<unique_id>.json), checked, translated, versioned
and published like a form:

    {"unique_id": "report-protection-concerns",
     "name_i18n": {...}, "description_i18n": {...},
     "record_type": "case",
     "counts": {"unit": "records"},          # or {"unit": "rows", "subform": "services_section"}
                                             # or {"unit": "referrals"}
                                             # or {"unit": "events", "events": [{"id": "opened", "field":
                                             #     "registration_date", "name_i18n": {...}}, ...]}
     "rows": [{"field": "protection_concerns"}],                 # one or two dimensions
     "columns": [{"field": "sex"}],                              # none or one
     "filters": [{"field": "age", "lt": 18}, {"fact": "status", "in": ["open"]}],
     "measure": {"kind": "count"},           # or {"kind": "duration", "from": {"field": "registration_date"},
                                             #     "to": {"fact": "first_service_on"}}: median and 90th percentile
     "chart": "bar",                         # bar | stacked_bar | line | table | map
     "on_dashboards": ["role-national-administrator", "role-partner-data-manager"],
     "threshold": 5}                         # optional: the small-cell threshold (the deployment's by default)

A dimension is a field of the record (or of the counted subform row), or a fact the engine derives:

    {"field": "sex"}                                   an option field (select, radio, tick box): one key per value
    {"field": "location_current", "admin_level": 1}    a location, at the place of that level it lies in
    {"field": "age", "bands": [0, 6, 12, 18]}          a number, in bands: 0-5, 6-11, 12-17, 18+
    {"field": "registration_date", "period": "month"}  a date, by month | quarter | year
    {"fact": "status"} | {"fact": "stage"} | {"fact": "agency"}          the case's status, stage, owning agency
    {"fact": "agency_type"} | {"fact": "referral_status"}                a referral's receiving agency type, state
    {"fact": "event"} | {"fact": "event_on", "period": "month"}          an event's kind and date (unit events)
    {"fact": "referred_on" | "accepted_on" | "done_on", "period": ...}   a referral's dates

The result (server/reports/result.py) is a table of cells: the counts of each row key x column key, row and column
totals, and the grand total, each cell {"value": n} or, under the threshold, {"value": null, "suppressed": true}
(small-cell suppression with complementary cells: server/reports/suppression.py). Nothing else leaves the server:
no record id, no name, no value of a field the role may not read.
"""
