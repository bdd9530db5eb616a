"""The one place where errors become HTTP answers.

A `KGError` carries its status and a message a user can act on; werkzeug's HTTP exceptions (404, 405
with `Allow`, 413, 415) keep their status and headers. Anything else is a bug: it is logged with its
traceback here and the client gets a bare 500 — never a traceback, a file path or a remote port's state.
The body is JSON when the client prefers JSON (or does not mind, under /api/), else plain text.
"""

from __future__ import annotations

import logging
import math

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException

from ..errors import KGError

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    app.register_error_handler(KGError, _kg_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A short error body in the client's preferred representation."""
    accept = request.accept_mimetypes
    json_q, text_q = accept.quality("application/json"), accept.quality("text/plain")
    # the JSON API answers errors in JSON unless the client asks for text; elsewhere text is the default
    if json_q > text_q or (request.path.startswith("/api/") and json_q >= text_q):
        body = json.dumps({"status": status, "message": message})
        response = Response(body, status, mimetype="application/json")
    else:
        response = Response(message + "\n", status, mimetype="text/plain")
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _kg_error(exc: KGError) -> Response:
    headers = {}
    if exc.status == 503:  # a time budget, a full pool, a stopped worker: all worth retrying later
        headers["Retry-After"] = str(math.ceil(current_app.config["KG_RETRY_AFTER"]))
    return error_response(exc.status, exc.message, headers)


def _http_error(exc: HTTPException) -> Response:
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_response(exc.code or 500, exc.description or exc.name, headers)


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500, "internal server error")
