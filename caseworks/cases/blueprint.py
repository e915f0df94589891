from flask import Blueprint

bp = Blueprint("cases", __name__)

from caseworks.cases import timeline, views  # noqa: E402,F401
