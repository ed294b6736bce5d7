#!/usr/bin/env python3
"""The compose health checks of the ops image (deploy/ops/Dockerfile):
healthy when the URL answers 200 within two seconds.
  yibao-ops-health http://127.0.0.1:9090/-/ready     (prometheus)
  yibao-ops-health http://127.0.0.1:8222/healthz     (nats: JetStream too)"""

import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(error, file=sys.stderr)
    sys.exit(1)
