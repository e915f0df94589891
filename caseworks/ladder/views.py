"""Taking a step on the ladder: the page that asks for the reason and evidence, then the
transition itself (caseworks.ladder.transitions decides whether it may happen)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseworks.cases.forms import TransitionForm
from caseworks.cases.operations import VersionConflict
from caseworks.cases.views import CONFLICT_MESSAGE, case_roles_only, load_case
from caseworks.extensions import db
from caseworks.ladder import transitions
from caseworks.ladder.blueprint import bp


@bp.route("/cases/<int:case_id>/step/<name>", methods=["GET", "POST"])
@case_roles_only
def take_step(case_id, name):
    case = load_case(case_id)
    transition = transitions.TRANSITIONS.get(name)
    if transition is None:
        abort(404)
    if current_user.role not in transition.roles:
        abort(403)
    form = TransitionForm()
    if request.method == "GET":
        form.version.data = case.version
    status = 200
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                if str(form.version.data) != str(case.version):
                    raise VersionConflict()
                transitions.apply(case, name, current_user, reason=form.reason.data, evidence=form.evidence.data)
        except VersionConflict:
            flash(CONFLICT_MESSAGE, "error")
            status = 409
        except transitions.TransitionRefused as refused:
            flash(refused.message, "error")
            status = 422
        else:
            flash(_("Done: %(step)s.", step=transition.label), "success")
            return redirect(url_for("cases.case_detail", case_id=case.id))
    elif request.method == "POST":
        status = 422
    return render_template("ladder/step.html", case=case, form=form, transition=transition,
                           allowed=transition in transitions.available(current_user, case)), status
