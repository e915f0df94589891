from flask import Blueprint

bp = Blueprint("enrolment", __name__)

from caseworks.enrolment import views  # noqa: E402,F401
