"""The app shell the service worker keeps: its files and its version.

The version is a digest of everything the shell is made of (static files, the service worker,
the offline templates and the translations, the outbox protocol). Any change gives a new
version, so the browser sees a new /sw.js, installs it beside the old one, fills a new cache
and, once it takes over, deletes the old shell's cache (static/sw.js).
"""

import hashlib
from functools import cache
from pathlib import Path

from caseworks import ROOT
from caseworks.api.auth import OUTBOX_PROTOCOLS

STATIC = ROOT / "static"
#: what else goes into the version besides static/
VERSIONED = [ROOT / "templates" / "offline", ROOT / "translations"]
#: static files the shell needs offline (the rest, e.g. the review stylesheet, is for desktops)
SHELL_STATIC = ("app.css", "app.js", "js/*.js", "icons/*.png")
#: pages of the shell, cached with it: the fallback for pages not kept on the phone, the manifest
SHELL_PAGES = ("/offline", "/manifest.webmanifest")


def _files():
    for pattern in SHELL_STATIC:
        yield from sorted(STATIC.glob(pattern))


@cache
def version():
    """A short digest of the shell (computed once per process: a release restarts it)."""
    digest = hashlib.sha256(",".join(sorted(OUTBOX_PROTOCOLS)).encode())
    paths = [*_files(), STATIC / "sw.js"]
    for folder in VERSIONED:
        paths += sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".html", ".mo"))
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def urls(static_url):
    """The shell's URLs: ``static_url(filename)`` for each static file, then the shell pages."""
    return [static_url(str(p.relative_to(STATIC))) for p in _files()] + list(SHELL_PAGES)
