#!/usr/bin/env python3
"""Healthcheck of the ha profile's containers, with no curl in the image:
healthcheck.py patroni   Patroni's REST /health answers 200 (PostgreSQL runs)
healthcheck.py etcd      etcd's /health says true
healthcheck.py leader    this node's Patroni sees a running leader
healthcheck.py cluster   prints Patroni's GET /cluster (the test reads it)"""

import json
import sys
import urllib.request

what = sys.argv[1] if len(sys.argv) > 1 else "patroni"
url = {
    "patroni": "http://127.0.0.1:8008/health",
    "etcd": "http://127.0.0.1:2379/health",
    "leader": "http://127.0.0.1:8008/cluster",
    "cluster": "http://127.0.0.1:8008/cluster",
}[what]
try:
    with urllib.request.urlopen(url, timeout=3) as response:
        body = json.load(response)
except Exception as error:  # noqa: BLE001 — any failure is "unhealthy"
    sys.exit(f"{url}: {error}")
if what == "etcd" and str(body.get("health")) != "true":
    sys.exit(f"etcd: {body}")
members = body.get("members", []) if isinstance(body, dict) else []
if what == "leader" and not any(m.get("role") == "leader" and m.get("state") == "running" for m in members):
    sys.exit(f"no running leader: {body}")
if what == "cluster":
    print(json.dumps(body))
