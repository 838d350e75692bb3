"""Disables (enabled=false) the access key in COMPAT_KEY_FILE through vastpy."""

import json
import os

from vastpy import VASTClient

client = VASTClient(
    user=os.environ["ADMIN_USER"],
    password=os.environ["ADMIN_PASSWORD"],
    address=os.environ["VMS_ADDR"],
    cert_file=os.environ["CA_CERT"],
    cert_server_name="localhost",
)
with open(os.environ["COMPAT_KEY_FILE"]) as f:
    key = json.load(f)
client.users[key["user_id"]].access_keys.patch(access_key=key["access_key"], enabled=False)
print("vastpy: ok: the access key is disabled")
