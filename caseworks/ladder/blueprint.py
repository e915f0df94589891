from flask import Blueprint

bp = Blueprint("ladder", __name__)

from caseworks.ladder import scope, timeline, views  # noqa: E402,F401
