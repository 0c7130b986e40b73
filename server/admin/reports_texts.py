"""The texts of the reports page's scripts: the charts of a result, the dashboard, the report editor's pickers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHART_TEXTS = {
    # What a chart shows, said to screen readers (role="img"); the data table under it holds the numbers.
    "chart_aria": _l("%(kind)s: %(title)s. Total: %(total)s. The numbers are in the table below."),
    "chart_kind_bar": _l("Bar chart"), "chart_kind_stacked_bar": _l("Stacked bar chart"),
    "chart_kind_line": _l("Line chart over time"), "chart_kind_ranked": _l("Ranked bar chart"),
    "chart_kind_map": _l("Map"),
    # What the value axis counts.
    "chart_axis_records": _l("Records"), "chart_axis_rows": _l("Rows"), "chart_axis_referrals": _l("Referrals"),
    "chart_axis_events": _l("Events"), "chart_axis_duration": _l("Median, in days"),
    "chart_days": _l("%(days)s d"),
    "chart_duration_detail": _l("9 in 10 within %(p90)s d · %(count)s"),
    "chart_duration_key": _l("Each cell: the median time in days; under it, the time within which 9 in 10 fall, and how "
                             "many times were measured."),
    "chart_range": _l("%(from)s – %(to)s"), "chart_range_days": _l("%(from)s – %(to)s d"),
    "chart_tip": _l("%(label)s: %(value)s"), "chart_no_data": _l("No data"), "chart_total": _l("Total"), "chart_legend": _l("Legend"),
    "chart_table_of": _l("The numbers of %(title)s"), "chart_show_numbers": _l("Show the numbers"),
    "chart_suppressed_key": _l("(hatched): fewer than %(threshold)s, hidden to protect the children counted."),
    "chart_complement_key": _l("(hatched): hidden too, so that a small count cannot be worked out from the totals."),
    "chart_exact": _l("Exact small counts: your role sees counts under the threshold. Do not share them as they are."),
    "chart_as_of": _l("Data as of %(when)s"),
    "chart_nothing": _l("Nothing counted yet: every count is 0."),
    "chart_zero_rows": _l("Rows where every count is 0 are left out of the chart (%(count)s); the table lists them."),
}

DASHBOARD_TEXTS = {
    "rep_person": _l("Case worker"), "rep_open": _l("Open the report %(name)s"),
    "rep_draft_only": _l("in the draft, not yet published"), "rep_edit_named": _l("Edit the report %(name)s"),
}

EDITOR_TEXTS = {
    "rep_new_report": _l("New report"), "rep_editing": _l("Report: %(name)s"), "rep_untitled": _l("Report without a name"),
    "rep_rows": _l("Rows: one line per"), "rep_rows_second": _l("Then, within each row, one line per"),
    "rep_columns": _l("Columns (optional): one column per"), "rep_none": _l("— no columns —"),
    "rep_remove_dimension": _l("Remove: %(caption)s"), "rep_facts": _l("Facts of the record"),
    "rep_unknown_source": _l("%(name)s (not in the forms of this record type)"),
    "rep_fact_status": _l("Case status"), "rep_fact_stage": _l("Case stage"), "rep_fact_agency": _l("Agency that owns the record"),
    "rep_fact_opened_on": _l("Date the record was opened"), "rep_fact_referral_status": _l("State of the referral"),
    "rep_fact_agency_type": _l("Type of the receiving agency"), "rep_fact_referred_on": _l("Date of the referral"),
    "rep_fact_accepted_on": _l("Date the referral was accepted"), "rep_fact_done_on": _l("Date the referral was done"),
    "rep_fact_event": _l("Event"), "rep_fact_event_on": _l("Date of the event"),
    "rep_fact_first_service_on": _l("Date of the first service"),
    "rep_referral_in_progress": _l("In progress"), "rep_referral_accepted": _l("Accepted"),
    "rep_referral_rejected": _l("Rejected"), "rep_referral_done": _l("Done"), "rep_referral_revoked": _l("Revoked"),
    "rep_yes": _l("Yes"), "rep_no": _l("No"),
    "rep_admin_level": _l("at the level of"), "rep_level": _l("level %(level)s (%(examples)s)"),
    "rep_bands": _l("in bands"), "rep_bands_primero": _l("%(bands)s (Primero's age ranges)"),
    "rep_bands_adult": _l("%(bands)s (children and adults)"), "rep_bands_fives": _l("%(bands)s (five years)"),
    "rep_bands_custom": _l("bands of my own"), "rep_bounds": _l("Where each band starts, e.g. 0, 6, 12, 18"),
    "rep_period": _l("by"), "rep_period_month": _l("month"), "rep_period_quarter": _l("quarter"), "rep_period_year": _l("year"),
    "rep_filter": _l("Filter"), "rep_filter_on": _l("Filter on"), "rep_is_one_of": _l("is one of"),
    "rep_values_of": _l("Values of %(name)s"), "rep_value_of": _l("Value of %(name)s"), "rep_comparison": _l("Comparison"),
    "rep_number_lt": _l("is less than"), "rep_number_le": _l("is at most"), "rep_number_gt": _l("is more than"),
    "rep_number_ge": _l("is at least"), "rep_date_lt": _l("is before"), "rep_date_le": _l("is on or before"),
    "rep_date_gt": _l("is after"), "rep_date_ge": _l("is on or after"), "rep_remove_filter": _l("Remove this filter"),
    "rep_preview_needs_rows": _l("Choose what the rows are to see the preview."),
    "rep_preview_computing": _l("Computing the preview…"), "rep_preview_ready": _l("The preview is up to date."),
    "rep_preview_cannot": _l("The preview cannot be computed yet: %(message)s"),
    "rep_remove_title": _l("Remove the report %(name)s from the draft?"),
    "rep_remove_effect": _l("Once the draft is published, the report is no longer offered nor shown on any dashboard."),
    "rep_remove_button": _l("Remove the report"),
}

REPORTS_TEXTS = {**CHART_TEXTS, **DASHBOARD_TEXTS, **EDITOR_TEXTS}
