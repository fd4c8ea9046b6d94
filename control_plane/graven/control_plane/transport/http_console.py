"""The built console (console/dist) as static files, for a single-page app: any path that is
not a file is one of the app's own routes, so it gets index.html and the app draws it."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

# Where `make console` builds it in this source tree; an installed package (the Docker image)
# has no source tree and names the folder in GRAVEN_CONSOLE_DIR.
CONSOLE_DIR = Path(
    os.environ.get("GRAVEN_CONSOLE_DIR") or Path(__file__).resolve().parents[4] / "console" / "dist"
)
# Vite's output: content-hashed names, so a browser may keep them for good.
ASSETS = "assets"
INDEX = "index.html"


class ConsoleFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or path.startswith(ASSETS):
                return PlainTextResponse(error.detail, error.status_code, headers=error.headers)
            response = await super().get_response(INDEX, scope)
        immutable = path.startswith(ASSETS) and response.status_code == 200
        response.headers["cache-control"] = (
            "public, max-age=31536000, immutable" if immutable else "no-cache"
        )
        return response


class ConsoleMissing:
    """Said instead of a blank page (or a bare 404) when the console was never built."""

    def __init__(self, directory: Path) -> None:
        self._page = HTMLResponse(
            "<!doctype html><title>Graven</title><h1>The console is not built</h1>"
            f"<p>No {INDEX} in {directory}. Run <code>make console</code> and reload; the "
            "Connect API on this port works without it.</p>",
            status_code=503,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._page(scope, receive, send)


def console_app(directory: Path) -> ASGIApp:
    if (directory / INDEX).is_file():
        return ConsoleFiles(directory=directory, html=True)
    return ConsoleMissing(directory)
