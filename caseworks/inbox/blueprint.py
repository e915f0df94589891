from flask import Blueprint

bp = Blueprint("inbox", __name__)

from caseworks.inbox import views  # noqa: E402,F401
