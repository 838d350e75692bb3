"""VAST's own Python SDK (vastpy) against vast-sim, unchanged.

Lists and creates tenants, views (a bucket view), users and S3 access keys over verified TLS, then
writes the issued key to the JSON file named by COMPAT_KEY_FILE for the AWS CLI step.
Environment: VMS_ADDR (host:port), CA_CERT, ADMIN_USER, ADMIN_PASSWORD, COMPAT_KEY_FILE.
"""

import json
import os
import sys

from vastpy import VASTClient, RESTFailure


def check(condition, what):
    if not condition:
        print(f"vastpy: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"vastpy: ok: {what}")


def main():
    client = VASTClient(
        user=os.environ["ADMIN_USER"],
        password=os.environ["ADMIN_PASSWORD"],
        address=os.environ["VMS_ADDR"],
        cert_file=os.environ["CA_CERT"],
        cert_server_name="localhost",
    )

    clusters = client.clusters.get()
    check(len(clusters) == 1 and clusters[0]["state"] == "ONLINE", "one ONLINE cluster")

    tenants = client.tenants.get()
    check(any(t["name"] == "default" for t in tenants), "the default tenant is listed")
    created = client.tenants.post(name="compat-tenant")
    check(created["name"] == "compat-tenant" and "id" in created, "a tenant is created")
    found = client.tenants.get(name="compat-tenant")
    check(len(found) == 1 and found[0]["id"] == created["id"], "the new tenant is found by name")

    policies = client.viewpolicies.get(name="s3_default_policy")
    check(len(policies) == 1, "the seeded s3_default_policy exists")
    policy = policies[0]

    user = client.users.post(name="compat-user", uid=55555, allow_create_bucket=True)
    check(user["name"] == "compat-user", "a user is created")

    view = client.views.post(
        path="/compat-bucket",
        create_dir=True,
        bucket="compat-bucket",
        bucket_owner="compat-user",
        protocols=["S3"],
        policy_id=policy["id"],
        tenant_id=policy.get("tenant_id", 1),
    )
    check(view["bucket"] == "compat-bucket", "a bucket view is created")
    views = client.views.get(bucket="compat-bucket")
    check(len(views) == 1 and "S3" in views[0]["protocols"], "the bucket view is found by bucket")

    worm = client.views.post(
        path="/compat-worm",
        create_dir=True,
        bucket="compat-worm",
        bucket_owner="compat-user",
        protocols=["S3"],
        policy_id=policy["id"],
        tenant_id=policy.get("tenant_id", 1),
        locking=True,
        s3_versioning=True,
        files_retention_mode="NONE",
    )
    check(worm["locking"] is True and worm["s3_versioning"] is True, "a WORM bucket view is created")
    try:
        client.views[worm["id"]].patch(locking=False)
        check(False, "WORM locking cannot be turned off")
    except RESTFailure as failure:
        check(failure.status == 400, "WORM locking cannot be turned off")

    key = client.users[user["id"]].access_keys.post()
    check(key.get("access_key") and key.get("secret_key"), "an access key is issued with its secret")
    listed = client.users[user["id"]].get()
    check(
        any(k["access_key"] == key["access_key"] for k in listed["access_keys"])
        and all("secret_key" not in k for k in listed["access_keys"]),
        "the user lists the key without its secret",
    )

    try:
        client.views[999999].get()
        check(False, "a missing view answers 404")
    except RESTFailure as failure:
        check(failure.status == 404, "a missing view answers 404")

    with open(os.environ["COMPAT_KEY_FILE"], "w") as out:
        json.dump({"user_id": user["id"], **key}, out)


if __name__ == "__main__":
    main()
