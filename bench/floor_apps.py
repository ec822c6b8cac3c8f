"""The floors a bare request stands on, served by the same gunicorn and ``gunicorn.conf.py``:
``constant`` (a three-line WSGI app: gunicorn's gthread worker and nothing else) and ``flask``
(one Flask route answering ``{"status": "ok"}``, as the gateway's ``/health`` does, without the
gateway's request id, log line and metrics). ``bench/cpu.py`` puts them beside ``/health``.
"""

from flask import Flask, jsonify

_BODY = b'{"status":"ok"}'


def constant(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(_BODY)))])
    return [_BODY]


flask = Flask(__name__)


@flask.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")
