"""Case work over the record engine: referrals and transfers, closing and reopening, approvals, flags.

No HTTP here: each function takes the database, the published configuration and the Actor, checks the permission
before it looks anything up, and writes through server.records.service.write_change (so each action has its history
entry, its access keys and its stage). server.services.workflow audits them for the API and the CLI.
"""
