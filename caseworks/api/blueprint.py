from flask import Blueprint

from caseworks.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# token-authenticated JSON: no cookies, so no cross-site request to forge
csrf.exempt(bp)

from caseworks.api import auth, views  # noqa: E402,F401
