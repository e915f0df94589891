from flask import Blueprint

bp = Blueprint("enrolment", __name__)

from caseworks.enrolment import finding_views, views  # noqa: E402,F401
