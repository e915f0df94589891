from flask import Blueprint

bp = Blueprint("offline", __name__)

from caseworks.offline import views  # noqa: E402,F401
