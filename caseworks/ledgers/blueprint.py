from flask import Blueprint

bp = Blueprint("ledgers", __name__)

from caseworks.ledgers import views  # noqa: E402,F401
