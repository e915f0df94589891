"""The service worker, the manifest, the offline fallback page, the outbox page and the list of
the user's own pages kept for offline use."""

import json

from flask import abort, current_app, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseworks.core import clock, permissions
from caseworks.core.nav import nav_item
from caseworks.offline import queries, shell
from caseworks.offline.blueprint import bp
from caseworks.offline.messages import outbox_messages

nav_item("offline.outbox", _l("To send"), permissions.CASE_WORKERS, order=6)


@bp.app_context_processor
def outbox_context():
    user = current_user
    return {
        "outbox_messages": outbox_messages,
        "uses_outbox": bool(user and user.is_authenticated and permissions.may_use_outbox(user)),
    }


@bp.route("/sw.js")
def service_worker():
    """The service worker, from the site's root so that its scope is every page. Its first line
    names this release's shell; a release that changes any shell file changes this script, which
    is how the browser learns of the update."""
    config = {"version": shell.version(), "shell": shell.urls(lambda f: url_for("static", filename=f))}
    source = (shell.STATIC / "sw.js").read_text(encoding="utf-8")
    body = f"const SHELL = {json.dumps(config)};\n{source}"
    response = current_app.response_class(body, mimetype="text/javascript")
    # the browser checks for a new release on every navigation; never answer from a cache
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, opening on "my visits"."""
    icons = [
        {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    icons.append({**icons[-1], "purpose": "maskable"})
    body = {
        "name": _("Dropout prevention"),
        "short_name": _("Dropout prevention"),
        "description": _("Home visits and cases of dropout prevention, also without signal."),
        "lang": "zh-CN" if str(get_locale()).startswith("zh") else "en",
        "start_url": url_for("visits.my_visits"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5fa8",
        "icons": icons,
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def offline_page():
    """Shown by the service worker, without signal, for a page not kept on this phone. It holds
    no one's data: it is cached with the shell, for every user of the phone."""
    response = current_app.make_response(render_template("offline/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


def _outbox_user():
    if not permissions.may_use_outbox(current_user):
        abort(403)
    return current_user


@bp.route("/outbox")
@login_required
def outbox():
    """The "待发送" page: the visits kept on this phone, each with its state (listed by the
    browser from its own storage; the server knows nothing of them until they are sent)."""
    _outbox_user()
    return render_template("offline/outbox.html")


@bp.route("/offline/pages.json")
@login_required
def own_pages():
    """The pages of the user's own work that the phone keeps for offline use: "my visits", the
    outbox page, and each own case with its visit form. The pages show masked ID numbers and
    phones only, as they do online."""
    user = _outbox_user()
    pages = [url_for("visits.my_visits"), url_for("offline.outbox")]
    for case_id in queries.own_case_ids(user):
        pages += [url_for("cases.case_detail", case_id=case_id), url_for("visits.log_visit", case_id=case_id)]
    return jsonify(user=user.id, pages=pages, listed=clock.now().isoformat())
