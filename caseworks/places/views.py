"""The area tree and schools, browsed and changed by administrators (/admin/places)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseworks.core import policy
from caseworks.core.choices import AreaLevel, Role, SchoolKind
from caseworks.core.forms import EmptyForm
from caseworks.core.nav import nav_item
from caseworks.core.views import admin_required, page_status, refusals
from caseworks.places import operations, queries
from caseworks.places.blueprint import bp
from caseworks.places.forms import AreaForm, PolicyForm, RenameAreaForm, SchoolForm

nav_item("places.index", _l("Places"), roles=[Role.ADMIN], order=81)


@bp.context_processor
def place_labels():
    return {"school_kind_label": SchoolKind.label_of}


def _root():
    return queries.root_area(current_user)


def _area(area_id):
    return queries.get_area_or_404(area_id, _root())


def _school(school_id):
    return queries.get_school_or_404(school_id, _root())


def _render_area(area):
    root = _root()
    schools = queries.schools_of(area) if area.level_enum == AreaLevel.TOWNSHIP else None
    return render_template(
        "places/area.html",
        area=area,
        trail=queries.ancestors(area, root),
        children=queries.children_of(area),
        child_level=area.level_enum.child_level,
        schools=schools,
        form=EmptyForm(),
    )


@bp.route("/places")
@admin_required
def index():
    root = _root()
    if root is None:
        abort(404)
    return _render_area(root)


@bp.route("/places/<int:area_id>")
@admin_required
def show_area(area_id):
    return _render_area(_area(area_id))


@bp.route("/places/<int:area_id>/new", methods=["GET", "POST"])
@admin_required
def create_area(area_id):
    parent = _area(area_id)
    level = parent.level_enum.child_level
    if level is None:
        abort(404)
    form = AreaForm()
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            area = operations.create_area(parent, name=form.name.data, code=form.code.data)
        if done:
            flash(_("%(name)s was created.", name=area.name), "success")
            return redirect(url_for("places.show_area", area_id=area.id))
    return render_template("places/area_form.html", form=form, parent=parent, area=None, level=level), page_status(done)


@bp.route("/places/<int:area_id>/edit", methods=["GET", "POST"])
@admin_required
def rename_area(area_id):
    area = _area(area_id)
    form = RenameAreaForm()
    if request.method == "GET":
        form.name.data = area.name
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.rename_area(area, name=form.name.data)
        if done:
            flash(_("The changes to %(name)s were saved.", name=area.name), "success")
            return redirect(url_for("places.show_area", area_id=area.id))
    return render_template(
        "places/area_form.html", form=form, parent=area.parent, area=area, level=area.level_enum
    ), page_status(done)


def _place_action(place, operation, done_message, endpoint, **values):
    if EmptyForm().validate_on_submit():
        with refusals() as done:
            operation(place)
        if done:
            flash(done_message, "success")
    return redirect(url_for(endpoint, **values))


@bp.route("/places/<int:area_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_area(area_id):
    area = _area(area_id)
    return _place_action(
        area,
        operations.deactivate_area,
        _("%(name)s was deactivated.", name=area.name),
        "places.show_area",
        area_id=area.id,
    )


@bp.route("/places/<int:area_id>/reactivate", methods=["POST"])
@admin_required
def reactivate_area(area_id):
    area = _area(area_id)
    return _place_action(
        area,
        operations.reactivate_area,
        _("%(name)s was reactivated.", name=area.name),
        "places.show_area",
        area_id=area.id,
    )


@bp.route("/places/<int:area_id>/schools/new", methods=["GET", "POST"])
@admin_required
def create_school(area_id):
    township = _area(area_id)
    if township.level_enum != AreaLevel.TOWNSHIP:
        abort(404)
    form = SchoolForm()
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            school = operations.create_school(township, name=form.name.data, code=form.code.data, kind=form.kind.data)
        if done:
            flash(_("%(name)s was created.", name=school.name), "success")
            return redirect(url_for("places.show_school", school_id=school.id))
    return render_template("places/school_form.html", form=form, township=township, school=None), page_status(done)


@bp.route("/schools/<int:school_id>")
@admin_required
def show_school(school_id):
    school = _school(school_id)
    return render_template(
        "places/school.html",
        school=school,
        township=school.township,
        trail=queries.ancestors(school.township, _root()) + [school.township],
        users=queries.active_users_at(school),
        form=EmptyForm(),
    )


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_school(school_id):
    school = _school(school_id)
    form = SchoolForm()
    if request.method == "GET":
        form.name.data, form.code.data, form.kind.data = school.name, school.code, school.kind
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.update_school(school, name=form.name.data, code=form.code.data, kind=form.kind.data)
        if done:
            flash(_("The changes to %(name)s were saved.", name=school.name), "success")
            return redirect(url_for("places.show_school", school_id=school.id))
    return render_template("places/school_form.html", form=form, township=school.township, school=school), page_status(
        done
    )


@bp.route("/schools/<int:school_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_school(school_id):
    school = _school(school_id)
    return _place_action(
        school,
        operations.deactivate_school,
        _("%(name)s was deactivated.", name=school.name),
        "places.show_school",
        school_id=school.id,
    )


@bp.route("/schools/<int:school_id>/reactivate", methods=["POST"])
@admin_required
def reactivate_school(school_id):
    school = _school(school_id)
    return _place_action(
        school,
        operations.reactivate_school,
        _("%(name)s was reactivated.", name=school.name),
        "places.show_school",
        school_id=school.id,
    )


@bp.route("/places/<int:area_id>/policy", methods=["GET", "POST"])
@admin_required
def edit_policy(area_id):
    """The county's policy profile: visit cadence, ladder guards, notice names and texts."""
    county = _area(area_id)
    if county.level_enum != AreaLevel.COUNTY:
        abort(404)
    profile = policy.profile_for(county.id)
    form = PolicyForm(obj=profile if request.method == "GET" else None)
    if form.validate_on_submit():
        policy.update_profile(
            county,
            {name: form[name].data for name in policy.PolicyProfile.EDITABLE},
            current_user._get_current_object(),
        )
        flash(_("The policy profile of %(name)s was saved.", name=county.name), "success")
        return redirect(url_for("places.show_area", area_id=county.id))
    status = 422 if form.errors else 200
    return render_template(
        "places/policy.html",
        form=form,
        county=county,
        trail=queries.ancestors(county, _root()),
        placeholders=[(f"{{{name}}}", policy.NOTICE_PLACEHOLDER_LABELS[name]) for name in policy.NOTICE_PLACEHOLDERS],
    ), status
