#!/usr/bin/env python3
"""Test webhook receiver for piar's integration tests.

Usage: callback_receiver.py SECRET_FILE LOG_FILE PORT_FILE RESPONSES [PORT]

Listens on 127.0.0.1:PORT (default 0: a free port; the port is written to PORT_FILE), verifies every POST
with the official `standardwebhooks` library (PyPI), answers with the next
status from RESPONSES (comma-separated, e.g. "500,200"; the last repeats; "slow"
waits 5 s, then answers 200; "hang" waits 8 s, then answers 200, long enough
for a test to kill the sender mid-request) and
appends one JSON line per request to LOG_FILE:
{"id", "timestamp", "valid", "error", "answered", "headers", "body",
"compat_valid"}, where compat_valid says whether X-Runner-Signature is the hex
HMAC-SHA256 over "<X-Runner-Timestamp>.<body>" keyed with the secret's text
(pi-agent-runner's scheme; null when the header is absent). Each request's
arrival is also appended to LOG_FILE.arrivals (its webhook-id) before any
waiting, so a test knows a request is in flight.
"""
import hashlib
import hmac
import json
import time
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook

secret_file, log_file, port_file, responses = sys.argv[1:5]
secret = open(secret_file).read().strip()
codes = responses.split(",")
count = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        valid, error = False, None
        try:
            Webhook(secret).verify(body, headers)
            valid = True
        except Exception as e:  # noqa: BLE001 - any failure is recorded
            error = repr(e)
        compat_valid = None
        if "x-runner-signature" in headers:
            expected = hmac.new(
                secret.encode(),
                headers.get("x-runner-timestamp", "").encode() + b"." + body,
                hashlib.sha256,
            ).hexdigest()
            compat_valid = hmac.compare_digest(expected, headers["x-runner-signature"])
        with open(log_file + ".arrivals", "a") as f:
            f.write(str(headers.get("webhook-id")) + "\n")
        code = codes[min(count, len(codes) - 1)]
        count += 1
        if code == "slow":
            time.sleep(5)
            code = "200"
        if code == "hang":
            time.sleep(8)
            code = "200"
        code = int(code)
        with open(log_file, "a") as f:
            f.write(json.dumps({
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "valid": valid,
                "error": error,
                "answered": code,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
                "compat_valid": compat_valid,
            }) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


port = int(sys.argv[5]) if len(sys.argv) > 5 else 0
server = HTTPServer(("127.0.0.1", port), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
