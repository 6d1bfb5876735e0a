"""Runs scim2-tester's checks against a live Muster SCIM endpoint; exits non-zero on any failure.

Usage: python scim_conformance.py BASE_URL TOKEN   (BASE_URL like http://127.0.0.1:8080/scim/v2)
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    client = SyncSCIMClient(http)
    results = check_server(client, raise_exceptions=False)
    passed = failed = skipped = 0
    for result in results:
        if result.status == Status.SUCCESS:
            passed += 1
        elif result.status == Status.SKIPPED:
            skipped += 1
            print(f"SKIPPED {result.title}: {result.reason}")
        else:
            failed += 1
            print(f"{result.status.name} {result.title}: {result.reason}")
    print(f"scim2-tester: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
