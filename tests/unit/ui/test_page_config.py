"""wbview.ui.page_config: the script line each HTML page gets, and nothing else touched."""

from __future__ import annotations

import gzip

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from wbview.ui.page_config import FrontendBaseUrl, frontend_snippet

PAGE = (
    b"<!doctype html><html><head><title>x</title><script type='module' src='./static/js/index.js'></script></head><body>"
    + b"p" * 2000
    + b"</body></html>"
)


async def _page(request):
    return Response(PAGE, media_type="text/html")


async def _chunked_page(request):
    async def parts():
        for start in range(0, len(PAGE), 7):
            yield PAGE[start : start + 7]

    return StreamingResponse(parts(), media_type="text/html")


async def _script(request):
    return Response(b"<head>" + b"x" * 2000, media_type="application/javascript")


async def _not_modified(request):
    return Response(status_code=304, headers={"etag": '"a"'})


def _client(base_path: str = "") -> TestClient:
    routes = [
        Route("/{path:path}.js", _script),
        Route("/chunked", _chunked_page),
        Route("/cached", _not_modified),
        Route("/_stcore/health", _page),
        Route("/{path:path}", _page, methods=["GET", "POST"]),
    ]
    middleware = [Middleware(FrontendBaseUrl, base_path=base_path), Middleware(GZipMiddleware, minimum_size=100)]
    return TestClient(Starlette(routes=routes, middleware=middleware))


@pytest.mark.parametrize("path", ["/", "/error_analysis", "/threshold?run=a&t=0.5", "/chunked"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_every_page_gets_the_line_once_first_in_its_head(path, encoding):
    response = _client().get(path, headers={"Accept-Encoding": encoding})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") is None  # the page asked for plain, to be written
    body = response.content
    assert body == PAGE.replace(b"<head>", b"<head>" + frontend_snippet(), 1)
    assert int(response.headers["content-length"]) == len(body)
    assert body.count(frontend_snippet()) == 1 and body.index(b"__streamlit") < body.index(b"type='module'")


def test_the_line_sets_both_addresses_to_the_site_root():
    assert frontend_snippet() == (
        b'<script>window.__streamlit = Object.assign(window.__streamlit || {}, {BACKEND_BASE_URL: location.origin + "/", '
        b'MAIN_PAGE_BASE_URL: location.origin + "/"})</script>'
    )
    assert b'location.origin + "/team/wbview/"' in frontend_snippet("/team/wbview/")
    assert b'location.origin + "/team/wbview/"' in frontend_snippet("team/wbview")


def test_scripts_backend_answers_and_other_methods_pass_untouched():
    client = _client()
    script = client.get("/static/js/index.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"  # compression still applies where it did
    assert b"__streamlit" not in script.content
    assert b"__streamlit" not in client.get("/_stcore/health").content
    assert b"__streamlit" not in client.post("/error_analysis").content
    cached = client.get("/cached")
    assert cached.status_code == 304 and cached.content == b""


def test_under_a_base_path_only_its_pages_get_the_line_with_that_root():
    client = _client("team/wbview")
    assert b'location.origin + "/team/wbview/"' in client.get("/team/wbview/error_analysis").content
    assert b"__streamlit" not in client.get("/elsewhere").content
    assert b"__streamlit" not in client.get("/team/wbview/_stcore/health").content


def test_a_gzipped_html_answer_it_cannot_read_passes_unchanged():
    """If something below still compresses the page, the page goes out as it came."""

    async def zipped(request):
        return Response(gzip.compress(PAGE), media_type="text/html", headers={"content-encoding": "gzip"})

    app = Starlette(routes=[Route("/", zipped)], middleware=[Middleware(FrontendBaseUrl)])
    response = TestClient(app).get("/")
    assert response.content == PAGE  # httpx unzips: the bytes are Streamlit's own
