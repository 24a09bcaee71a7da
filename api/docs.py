"""GET /docs: Swagger UI from files this app serves itself, so the API docs work offline and under
the same-origin Content-Security-Policy (FastAPI's default page loads Swagger UI from a CDN).

The assets are Swagger UI 5 as bundled by the pinned ``fastapi-offline`` package; the page's one
inline start-up script is allowed by its hash rather than by ``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.middleware import content_security_policy

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def script_hashes(html: bytes) -> str:
    """CSP source expressions for each inline script of a page (CSP Level 2 hash sources)."""
    digests = (hashlib.sha256(script).digest() for script in INLINE_SCRIPT.findall(html))
    return " ".join(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests)


def add_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs with its assets under /docs/assets."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )
        # Swagger UI styles its widgets with style attributes, which only 'unsafe-inline' permits.
        page.headers["Content-Security-Policy"] = content_security_policy(
            script_src=f"'self' {script_hashes(page.body)}", style_src="'self' 'unsafe-inline'"
        )
        return page
