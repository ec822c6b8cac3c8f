"""Replays an n8n workflow file against a live gateway: enough of n8n to keep the examples honest.

It walks the connections from the trigger in n8n's execution order v1 (depth first, the top
branch first), evaluates the ``{{ ... }}`` expressions the examples use (``$json.x``,
``$('Node').item.json.x``, ``$runIndex``, ``JSON.stringify(...)``, arithmetic)
and sends each HTTP Request node's request as n8n 2.8.4 would: method, URL, headers, a JSON body
rendered first and then parsed (so a quote inside a value written as ``"{{ $json.x }}"`` breaks it,
as in n8n), and the "Never Error" and "Include Response Headers and Status" options, whose
``statusMessage`` n8n gives in upper case ("FORBIDDEN").
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
from typing import Any

import requests

_EXPRESSION = re.compile(r"\{\{(.+?)\}\}", re.DOTALL)


class Item(dict):
    """A JSON item whose keys read like JavaScript properties."""

    def __getattr__(self, name: str) -> Any:
        return wrap(self[name])


def wrap(value: Any) -> Any:
    return Item(value) if isinstance(value, dict) else value


class _Json:
    """JavaScript's JSON object, as far as the examples use it."""

    @staticmethod
    def stringify(value: Any) -> str:
        return json.dumps(value)


class Run:
    """One execution of a workflow: each node's last output items, and how often each node ran."""

    def __init__(self, workflow: dict, overrides: dict[str, Any], http: requests.Session,
                 static: dict | None = None) -> None:
        self.static = {} if static is None else static  # $getWorkflowStaticData('global'), kept across runs
        self.nodes = {node["name"]: node for node in workflow["nodes"]}
        self.connections = workflow["connections"]
        self.overrides = overrides
        self.http = http
        self.outputs: dict[str, list[dict]] = {}
        self.runs: dict[str, int] = {}
        self.requests: list[requests.Response] = []
        self.history: dict[str, list[list[dict]]] = {}
        self.order: list[str] = []  # node names in the order they ran

    def start(self, max_steps: int = 100) -> Run:
        """Run from the trigger in n8n's execution order v1, as observed in n8n 2.8.4: depth first, a
        node's children top to bottom (then left to right) on the canvas, each branch to its end
        before the next. So a loop above its side branch finishes before the side branch runs."""
        trigger = next(n for n in self.nodes.values() if n["type"].endswith("Trigger"))
        stack: list[tuple[str, dict]] = [(trigger["name"], {})]
        steps = 0
        while stack:
            steps += 1
            assert steps <= max_steps, "the workflow does not end"
            name, item = stack.pop()
            self.order.append(name)
            children = []
            for index, items in enumerate(self.execute(self.nodes[name], item)):
                targets = self.connections.get(name, {}).get("main", [])
                children += [(t["node"], items) for t in (targets[index] if index < len(targets) else [])]
            children.sort(key=lambda child: self.nodes[child[0]]["position"][::-1])  # stable: y, then x
            for target, items in reversed(children):
                stack.extend((target, each) for each in reversed(items))
        return self

    def execute(self, node: dict, item: dict) -> list[list[dict]]:
        """The node's items per output (one list per output index)."""
        name, kind, params = node["name"], node["type"].rsplit(".", 1)[1], node["parameters"]
        run_index = self.runs.get(name, 0)
        self.runs[name] = run_index + 1
        scope = {"json": item, "run": run_index}
        if kind in ("manualTrigger", "scheduleTrigger"):
            outputs = [[{}]]
        elif kind == "code":
            outputs = [self.code(params["jsCode"], item)]
        elif kind == "set":
            assignments = params["assignments"]["assignments"]
            values = {a["name"]: self.evaluate(a["value"], scope) for a in assignments}
            if name == "Settings":
                values.update(self.overrides)
            outputs = [[values]]
        elif kind == "httpRequest":
            outputs = [[self.request(params, scope)]]
        elif kind == "if":
            outputs = [[item], []] if self.condition(params["conditions"], scope) else [[], [item]]
        elif kind == "splitOut":
            found: Any = item
            for part in params["fieldToSplitOut"].split("."):
                found = found[part]
            outputs = [list(found)]
        elif kind == "noOp":
            outputs = [[item]]
        else:
            raise AssertionError(f"node type {node['type']} is not replayed by this runner")
        self.outputs[name] = outputs[0] if len(outputs) == 1 else outputs[0] + outputs[1]
        self.history.setdefault(name, []).append(outputs[0])
        return outputs

    def code(self, source: str, item: dict) -> list[dict]:
        """A Code node ("Run Once for All Items", one input item) run by Node.js, with static data."""
        done = subprocess.run(["node", "-e", _CODE_HARNESS], input=json.dumps(
            {"code": source, "items": [item], "static": self.static}), capture_output=True, text=True,
            timeout=30, check=False)
        assert done.returncode == 0, f"the Code node failed: {done.stderr}"
        answer = json.loads(done.stdout)
        self.static.clear()
        self.static.update(answer["static"])
        return answer["items"]

    def request(self, params: dict, scope: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        if params.get("sendHeaders"):
            for header in params["headerParameters"]["parameters"]:
                headers[header["name"]] = str(self.evaluate(header["value"], scope))
        body, files = None, None
        if params.get("contentType") == "multipart-form-data":  # n8n binary data as form parts
            headers.pop("Content-Type")
            files = {part["name"]: _binary_part(scope["json"], part)
                     for part in params["bodyParameters"]["parameters"]}
        elif params.get("sendBody"):
            assert params["specifyBody"] == "json"
            text = self.evaluate(params["jsonBody"], scope)
            try:
                body = json.loads(text)
            except ValueError:
                raise AssertionError(f"JSON parameter needs to be valid JSON (n8n's error): {text}") from None
        answer = self.http.request(params["method"], self.evaluate(params["url"], scope), json=body,
                                   files=files, headers=headers, timeout=10)
        self.requests.append(answer)
        response = params.get("options", {}).get("response", {}).get("response", {})
        if answer.status_code >= 400 and not response.get("neverError"):
            raise AssertionError(f"the node would fail: {answer.status_code} {answer.text}")
        if response.get("responseFormat") == "file":  # the item's binary data, as n8n keeps it
            name = content_disposition_name(answer.headers.get("Content-Disposition", ""))
            return {"$binary": {response.get("outputPropertyName", "data"): {
                "data": answer.content, "mimeType": answer.headers.get("Content-Type"), "fileName": name}}}
        if response.get("fullResponse"):
            return {"body": answer.json(), "headers": dict(answer.headers), "statusCode": answer.status_code,
                    "statusMessage": answer.reason.upper()}
        return answer.json()

    def condition(self, conditions: dict, scope: dict) -> bool:
        results = []
        for rule in conditions["conditions"]:
            left, right = self.evaluate(rule["leftValue"], scope), self.evaluate(rule["rightValue"], scope)
            operation = rule["operator"]["operation"]
            compare = {"equals": lambda a, b: a == b, "notEquals": lambda a, b: a != b,
                       "gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lt": lambda a, b: a < b}
            results.append(compare[operation](left, right))
        return all(results) if conditions["combinator"] == "and" else any(results)

    def evaluate(self, value: Any, scope: dict) -> Any:
        """n8n's parameter value: literal, or ``=`` followed by a template with ``{{ }}`` expressions."""
        if not isinstance(value, str) or not value.startswith("="):
            return value
        template = value[1:]
        whole = _EXPRESSION.fullmatch(template.strip())
        if whole and "}}" not in whole.group(1):  # a lone expression keeps its type (a number stays a number)
            return self.expression(whole.group(1), scope)
        return _EXPRESSION.sub(lambda m: render(self.expression(m.group(1), scope)), template)

    def expression(self, text: str, scope: dict) -> Any:
        python = re.sub(r"\$\('([^']+)'\)\.item\.json", r"_node('\1')", text.strip())
        python = python.replace("$json", "_json").replace("$runIndex", "_run")
        assert "$" not in python, f"expression not understood by the runner: {text}"
        names = {"_json": wrap(scope["json"]), "_run": scope["run"], "__builtins__": {}, "JSON": _Json,
                 "_node": lambda name: wrap(self.outputs[name][0])}
        return eval(python, names)  # noqa: S307 - test-only, on the repository's own example files


_CODE_HARNESS = """
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const items = input.items.map((json) => ({ json }));
const $input = { all: () => items, first: () => items[0] };
const $getWorkflowStaticData = () => input.static;
const out = new Function('$input', '$getWorkflowStaticData', input.code)($input, $getWorkflowStaticData);
process.stdout.write(JSON.stringify({ items: out.map((i) => i.json), static: input.static }));
"""


def _binary_part(item: dict, part: dict) -> tuple:
    """A form part: n8n Binary File (``formBinaryData``) from the item's binary data."""
    assert part["parameterType"] == "formBinaryData", "only binary form parts are replayed"
    binary = item["$binary"][part["inputDataFieldName"]]
    return binary["fileName"], binary["data"], binary["mimeType"]


def render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def content_disposition_name(header: str) -> str | None:
    """The file name n8n 2.8.4 takes from Content-Disposition (n8n-core's parseContentDisposition):
    parameters split on ';' and '=', each URI-decoded (a bad '%' sequence throws, failing the node),
    and filename*'s part after its second quote wins over filename."""
    params = {}
    for part in header.split(";")[1:]:
        key, _, value = part.partition("=")
        value = value.split("=")[0]
        decoded = urllib.parse.unquote(value, errors="strict").strip()
        if "%" in value and not re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", value):
            raise AssertionError(f"n8n's decodeURIComponent throws on {value!r} (URIError)")
        if decoded.startswith('"') and decoded.endswith('"'):
            decoded = decoded[1:-1]
        params[key.strip().lower()] = decoded
    name = params.get("filename")
    if params.get("filename*"):
        pieces = params["filename*"].split("'")
        name = pieces[2] if len(pieces) > 2 else None
    return name
