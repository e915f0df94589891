from flask import Blueprint

bp = Blueprint("places", __name__, url_prefix="/admin")

from caseworks.places import views  # noqa: E402,F401
