#!/usr/bin/env python3
"""Oracle for piar's cron differential test (tests/integration/cron_diff.rs).

Reads one JSON object on stdin:
    {"base": <unix seconds>, "n": <count>, "cases": [{"expr": "0 9 * * 1-5", "tz": "Europe/Berlin"}, ...]}
and prints one JSON object on stdout:
    {"croniter": "<version>", "results": [[<unix seconds>, ...], ...]}
with, for each case, the next `n` firings strictly after `base` as croniter
(PyPI) computes them for the expression read in zone `tz`. A case croniter
rejects yields {"error": "<message>"} in its place. Independent of piar's code.
"""
import json
import sys
from datetime import datetime
from importlib.metadata import version
from zoneinfo import ZoneInfo

from croniter import croniter


def main():
    req = json.load(sys.stdin)
    base, n = req["base"], req["n"]
    results = []
    for case in req["cases"]:
        try:
            start = datetime.fromtimestamp(base, ZoneInfo(case["tz"]))
            it = croniter(case["expr"], start)
            results.append([int(it.get_next(float)) for _ in range(n)])
        except Exception as e:  # report per case, keep going
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"croniter": version("croniter"), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
