#!/usr/bin/env python3
"""Drive `piar mcp` with the official MCP Python SDK (PyPI `mcp`) over stdio.

Used by tests/integration/mcp.rs. Usage:

    mcp_client.py PROGRAM [ARG...] < plan.json > report.json

PROGRAM ARG... is the server command (`piar --system mcp`, or `ssh ... piartest@127.0.0.1
piar --user mcp`); it inherits this process's environment. The plan is a JSON list of
steps, each one of
    {"tool": NAME, "args": {...}}        call a tool
    {"read": URI}                        read a resource
    {"list_resources": true}             list resources
String arguments equal to "$run_id" are replaced by the last run_id a tool returned.
The report is one JSON object: the server info, the tool names, and per step either
{"is_error", "structured", "text"} (a tool result; a tool error is a result with
is_error true), {"contents"} (a resource) or {"protocol_error": MESSAGE} (a JSON-RPC
error, e.g. an unknown tool). The script exits non-zero only if the session itself
fails (the server crashed or the handshake failed).
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError


def substitute(value, run_id):
    if value == "$run_id":
        return run_id
    if isinstance(value, dict):
        return {k: substitute(v, run_id) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, run_id) for v in value]
    return value


async def main():
    plan = json.load(sys.stdin)
    params = StdioServerParameters(
        command=sys.argv[1], args=sys.argv[2:], env=dict(os.environ)
    )
    report = {"steps": []}
    run_id = None
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            report["server"] = init.server_info.model_dump(mode="json")
            report["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
            report["schemas"] = {
                t.name: t.input_schema for t in (await session.list_tools()).tools
            }
            for step in plan:
                try:
                    if "tool" in step:
                        args = substitute(step.get("args", {}), run_id)
                        r = await session.call_tool(step["tool"], args)
                        structured = r.structured_content
                        if isinstance(structured, dict) and structured.get("id"):
                            run_id = structured["id"]
                        report["steps"].append({
                            "is_error": bool(r.is_error),
                            "structured": structured,
                            "text": " ".join(c.text for c in r.content if c.type == "text"),
                        })
                    elif "read" in step:
                        r = await session.read_resource(substitute(step["read"], run_id))
                        report["steps"].append(
                            {"contents": [c.model_dump(mode="json") for c in r.contents]}
                        )
                    elif "list_resources" in step:
                        r = await session.list_resources()
                        report["steps"].append({"resources": [str(x.uri) for x in r.resources]})
                except MCPError as e:
                    report["steps"].append({"protocol_error": str(e)})
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
