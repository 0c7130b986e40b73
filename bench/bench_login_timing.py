"""Logins: does a failed login take as long for an unknown user name as for a known one?

    python bench/bench_login_timing.py [--repeat 50]

Through the Flask test client on SecantusDB, interleaved so drift hits every kind alike, each
from its own address (the throttle's counters are touched the same way, never refused):
- known:    an existing user, wrong password
- unknown:  a name no account has, wrong password
- disabled: a disabled user, right password
- success:  the right password (also issues a token; for scale only)
Prints the median and p95 of each and the ratio unknown/known (1.00: nothing to learn from timing).
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone

from common import header, make_app, median_ms, p95_ms, secantus


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    header(f"bench_login_timing.py --repeat {args.repeat}")
    from server.auth import accounts
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    with secantus() as uri:
        app, client = make_app(uri)
        # No attempt may be refused (each comes from its own address anyway); the counters are still touched.
        app.config.update(LOGIN_MAX_FAILURES_PER_ADDRESS=10 ** 6, LOGIN_MAX_FAILURES_PER_ACCOUNT=10 ** 6)
        with app.app_context():
            accounts.create_user(get_db(), published_configuration(get_db()), {
                "user_name": "gone", "password": "quiet lagoon at dusk", "role_unique_id": "role-system-administrator",
                "disabled": True}, datetime.now(timezone.utc))
        kinds = {"known": ("bench", "wrong password"), "unknown": ("nobody-here", "wrong password"),
                 "disabled": ("gone", "quiet lagoon at dusk"), "success": ("bench", "quiet lagoon at dusk")}
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        statuses: dict[str, set[int]] = {kind: set() for kind in kinds}
        anonymous = app.test_client()
        for round_ in range(args.repeat + 1):
            for kind, (name, password) in kinds.items():
                start = time.perf_counter()
                response = anonymous.post("/api/v1/tokens", json={"user_name": name, "password": password},
                                          environ_base={"REMOTE_ADDR": f"10.{round_ // 250}.{round_ % 250}.{len(kind)}"})
                elapsed = time.perf_counter() - start
                statuses[kind].add(response.status_code)
                if round_:  # the first round warms up
                    times[kind].append(elapsed)
    print(f"{'login':<10} {'status':>8} {'median ms':>10} {'p95 ms':>8}")
    for kind, values in times.items():
        print(f"{kind:<10} {','.join(map(str, sorted(statuses[kind]))):>8} {median_ms(values):>10.1f} {p95_ms(values):>8.1f}")
    ratio = median_ms(times["unknown"]) / median_ms(times["known"])
    print(f"ratio unknown/known (median): {ratio:.2f}")
    print(f"ratio disabled/known (median): {median_ms(times['disabled']) / median_ms(times['known']):.2f}")
    if statuses["known"] != {401} or statuses["unknown"] != {401} or statuses["disabled"] != {401}:
        sys.exit("a failed login was not answered 401: the figures are not comparable")


if __name__ == "__main__":
    main()
