"""The JSON API (``/api/v1``): the same scope and permissions as the pages, token auth.

Read cases and their timelines, list the caller's due visits, and log a visit — idempotent on the
client's UUID, so a phone that lost its signal can resend safely.
"""

import uuid

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from caseworks.api import openapi
from caseworks.api.auth import token_or_outbox, token_required
from caseworks.api.blueprint import bp
from caseworks.cases import queries as case_queries
from caseworks.core import permissions, scope
from caseworks.core.idnumber import mask_phone
from caseworks.core.numbers import positive_int
from caseworks.core.timeline import timeline_for
from caseworks.core.views import refusals
from caseworks.visits import operations as visit_ops
from caseworks.visits import queries as visit_queries
from caseworks.visits.forms import LogVisitForm


def _case_summary(case):
    return {
        "id": case.id,
        "child_name": case.child.name,
        "id_number": case.child.masked_id_number,
        "kind": case.kind,
        "stage": case.stage,
        "village": case.village.name,
        "school": case.school.name if case.school else None,
        "teacher": case.teacher.full_name if case.teacher else None,
        "cadre": case.cadre.full_name if case.cadre else None,
        "is_fully_assigned": case.is_fully_assigned,
        "opened_date": case.opened_date.isoformat(),
        "version": case.version,
    }


def _case_detail(case):
    child = case.child
    return {
        **_case_summary(case),
        "gender": child.gender,
        "birth_date": child.birth_date.isoformat(),
        "address": child.address,
        "groups": child.groups,
        "guardians": [
            {"name": g.name, "relation": g.relation, "phone": mask_phone(g.phone), "is_working_away": g.is_working_away}
            for g in child.guardians
        ],
        "reasons": case.reasons,
        "situation": case.situation,
        "plan_summary": case.plan_summary,
        "plan": [
            {
                "measure": p.measure,
                "responsible": p.responsible,
                "target_date": p.target_date.isoformat() if p.target_date else None,
            }
            for p in case.plan_items
        ],
        "stage_entered_date": case.stage_entered_date.isoformat(),
        "last_contact_date": case.last_contact_date.isoformat() if case.last_contact_date else None,
    }


def _visit(visit):
    return {
        "id": visit.id,
        "case_id": visit.case_id,
        "due_date": visit.due_date.isoformat() if visit.due_date else None,
        "purpose": visit.purpose,
        "visit_date": visit.visit_date.isoformat() if visit.visit_date else None,
        "method": visit.method,
        "outcome": visit.outcome,
        "client_uuid": visit.client_uuid,
        "is_done": visit.is_done,
    }


@bp.route("/cases")
@token_required
def list_cases():
    if not permissions.works_on_cases(current_user):
        abort(403)
    filters = case_queries.CaseFilters.from_args(request.args)
    page = case_queries.case_page(current_user, filters, current_app.config["CASES_PER_PAGE"])
    return jsonify(items=[_case_summary(c) for c in page.items], page=page.page, pages=page.pages, total=page.total)


def _scoped_case(case_id):
    if not permissions.works_on_cases(current_user):
        abort(403)
    return scope.get_case_or_404(case_id, current_user)


@bp.route("/cases/<int:case_id>")
@token_required
def read_case(case_id):
    return jsonify(_case_detail(case_queries.load_case_details(_scoped_case(case_id))))


@bp.route("/cases/<int:case_id>/timeline")
@token_required
def case_timeline(case_id):
    items = timeline_for(_scoped_case(case_id))
    return jsonify(
        items=[
            {"when": i.when.isoformat(), "kind": i.kind, "title": str(i.title), "detail": i.detail, "actor": i.actor}
            for i in items
        ]
    )


@bp.route("/visits/due")
@token_required
def due_visits():
    """The caller's planned visits, by when they are due (as on "my visits")."""
    groups = visit_queries.my_visits(current_user)
    return jsonify({key: [_visit(v) for v in visits] for key, visits in groups.items()})


@bp.route("/cases/<int:case_id>/visits", methods=["POST"])
@token_or_outbox
def log_visit(case_id):
    """Log a visit that has been done, as JSON or as a multipart form with ``photos`` (the
    phone's outbox). ``client_uuid`` is required; sending the same one again returns the visit
    already recorded (200) instead of recording it twice (201). A refusal of the content is a 422
    by field (a closed case under ``case``); a case no longer in the caller's scope is a 404."""
    case = _scoped_case(case_id)
    if not case.is_open:
        return _invalid(case=[_("The case was closed meanwhile: a visit can no longer be logged on it.")])
    if not permissions.may_log_visit(current_user, case):
        abort(403)
    payload = _payload()
    if payload is None:
        return jsonify(error="Send a JSON object or a form.", status=400), 400
    try:
        client_uuid = str(uuid.UUID(str(payload.get("client_uuid", ""))))
    except ValueError:
        return _invalid(client_uuid=["Send a UUID."])
    form = LogVisitForm(meta={"csrf": False}, data=None)
    planned = None
    raw_planned = payload.get("planned_visit_id")
    if raw_planned not in (None, ""):
        # a whole number in JSON, or its digits from a multipart form (the phone's outbox)
        well_formed = isinstance(raw_planned, (int, str)) and not isinstance(raw_planned, bool)
        planned_id = positive_int(str(raw_planned)) if well_formed else None
        planned = visit_queries.scoped_visit_or_none(planned_id, current_user) if planned_id else None
        if planned is None or planned.case_id != case.id:
            return _invalid(planned_visit_id=["No such planned visit on this case."])
        if visit_queries.visit_by_client_uuid(client_uuid) is None and (planned.done_dt or planned.cancelled_dt):
            # logged by someone else meanwhile: this visit stands on its own
            planned = None
    if not form.validate():
        return _invalid(**_errors(form))
    with refusals(duplicate=True, show=False) as done:
        visit, created = visit_ops.log_visit(
            case, form.data, current_user, planned=planned, client_uuid=client_uuid, photos=form.stored_photos
        )
    if done.duplicate:
        # the same submission arriving twice at once: the first one stands
        return jsonify(_visit(visit_queries.visit_by_client_uuid(client_uuid))), 200
    if isinstance(done.refusal, visit_ops.SubmissionReused):
        return jsonify(error="This client_uuid was already used for another case.", status=409), 409
    if not done:
        error = done.refusal
        return _invalid(**{error.field or "visit": [str(error.message)]})
    return jsonify(_visit(visit)), 201 if created else 200


def _payload():
    """The posted fields: a JSON object, or a (multipart) form; None for anything else."""
    if request.is_json:
        payload = request.get_json(silent=True)
        return payload if isinstance(payload, dict) else None
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return request.form
    return None


def _invalid(**fields):
    return jsonify(error="Invalid input", status=422, fields=fields), 422


def _errors(form):
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@bp.route("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())
