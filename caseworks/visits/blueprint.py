from flask import Blueprint

bp = Blueprint("visits", __name__)

from caseworks.visits import timeline, views  # noqa: E402,F401
