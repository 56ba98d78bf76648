"""Tell Streamlit's frontend where its server is, in the page itself.

A link to a page (``/error_analysis?run=...``) makes Streamlit's frontend guess that the
server lives under the page's path: it asks ``/error_analysis/_stcore/health``, gets a 404,
waits 100 ms and asks the root (Streamlit issue 7074). Every page opened from a link paid
about 0.09 s for that in the browser bench. The frontend skips the guess when the page sets
``window.__streamlit.BACKEND_BASE_URL`` and ``MAIN_PAGE_BASE_URL`` before its own script
runs, so this ASGI middleware writes one fixed script line at the top of ``<head>`` of
every HTML page the server sends (serve.py puts it in front of Streamlit's server).

The line holds no data and no configuration: the site's root, as the browser sees it, plus
``server.baseUrlPath``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Streamlit's own endpoints and files: never an HTML page to change.
_BACKEND_PREFIXES = ("_stcore/", "static/", "media/", "component/", "app/static/", "auth/", "oauth2callback")


def frontend_snippet(base_path: str = "") -> bytes:
    """The script line: the server's root is the page's origin plus ``base_path``."""
    path = "/" + "/".join(part for part in base_path.split("/") if part)
    root = path.rstrip("/") + "/"
    expression = f"location.origin + {json.dumps(root)}"
    return (
        f"<script>window.__streamlit = Object.assign(window.__streamlit || {{}}, "
        f"{{BACKEND_BASE_URL: {expression}, MAIN_PAGE_BASE_URL: {expression}}})</script>"
    ).encode()


class FrontendBaseUrl:
    """ASGI middleware: ``frontend_snippet`` right after ``<head>`` of each HTML page."""

    def __init__(self, app: ASGIApp, base_path: str = ""):
        self.app = app
        self.base_path = "/".join(part for part in base_path.split("/") if part)
        self.snippet = frontend_snippet(base_path)

    def _is_page(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path = scope["path"].lstrip("/")
        if self.base_path:
            if path != self.base_path and not path.startswith(self.base_path + "/"):
                return False
            path = path[len(self.base_path) :].lstrip("/")
        return not path.startswith(_BACKEND_PREFIXES) and not path.endswith((".js", ".css", ".png", ".ico", ".json", ".map"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._is_page(scope):
            await self.app(scope, receive, send)
            return
        # The page uncompressed (it is small), so that the line can go in.
        scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"])
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_page(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                named = {k.lower(): v for k, v in message.get("headers", [])}
                if named.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in named:
                    start = message  # held until the whole body is here
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks).replace(b"<head>", b"<head>" + self.snippet, 1)
                kept = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                await send({**start, "headers": [*kept, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_page)
