"""Login and logout, and the administration of users."""

import math

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from caseworks.accounts import operations, queries
from caseworks.accounts.blueprint import bp
from caseworks.accounts.forms import (
    ChangePasswordForm,
    CreateUserForm,
    EditUserForm,
    LoginForm,
    PasswordForm,
    UserFilterForm,
)
from caseworks.accounts.models import User
from caseworks.core.choices import AreaLevel, Role
from caseworks.core.forms import EmptyForm
from caseworks.core.nav import nav_item
from caseworks.core.numbers import positive_int
from caseworks.core.views import admin_required, home_url, page_status, refusals, safe_local_path
from caseworks.extensions import db, login_manager
from caseworks.places import picker as place_picker
from caseworks.places import queries as place_queries
from caseworks.places.models import Area, School

login_manager.login_view = "accounts.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id):
    try:
        id_part, version = user_id.split(":")
        user = db.session.get(User, int(id_part))
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or str(user.session_version) != version:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.username.data, form.password.data)
        except operations.LoginThrottled as throttled:
            user = None
            minutes = max(1, math.ceil(throttled.seconds / 60))
            error = _("Too many failed attempts. Try again in %(n)s minutes.", n=minutes)
            status = 429
            # the refusal itself is kept in the audit trail despite the error status
            g.commit_on_error = True
        else:
            if user is None:
                error = _("Wrong username or password.")
        if user is not None:
            login_user(user)
            return redirect(safe_local_path(request.args.get("next")) or home_url(user))
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if not EmptyForm().validate_on_submit():
        flash(_("The page was too old to log out from: press “Log out” again."), "error")
        return redirect(url_for("core.index"))
    operations.log_out(current_user._get_current_object())
    logout_user()
    flash(_("You have logged out."), "info")
    response = redirect(url_for("accounts.login"))
    # the phone forgets what it kept for this user: cached cases, the outbox, the service worker
    # (the page's script wipes them too, after asking about unsent visits: static/js/device.js)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account", methods=["GET", "POST"])
@login_required
def my_account():
    """One's own account: who and where one works, and changing one's password (which ends every
    other session and revokes one's API token)."""
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.change_own_password(user, form.current_password.data, form.password.data)
        if done:
            login_user(user)  # this session goes on under the new session version
            flash(_("Your password is changed. You are logged out on every other device."), "success")
            return redirect(url_for("accounts.my_account"))
    return render_template("accounts/account.html", form=form, user=user), page_status(done)


# --- user administration (/admin/users) -----------------------------------------------------

USERS_PER_PAGE = 25

nav_item("accounts.list_users", _l("Users"), roles=[Role.ADMIN], order=80)


def _admin():
    return current_user._get_current_object()


@bp.route("/admin/users")
@admin_required
def list_users():
    form = UserFilterForm(formdata=request.args)
    form.validate()
    q = form.q.data if not form.q.errors else None
    role = form.role.data if not form.role.errors else None
    status = form.status.data if not form.status.errors else None
    stmt = queries.filtered_users(queries.root_of(current_user), q=q, role=role, status=status)
    page = positive_int(request.args.get("page"), 1)
    pagination = db.paginate(stmt, page=page, per_page=USERS_PER_PAGE, error_out=False)
    ancestors = place_queries.preload_ancestors([user.area for user in pagination.items])
    filters = {k: v for k, v in (("q", q), ("role", role), ("status", status)) if v}
    return render_template(
        "accounts/users.html", form=form, pagination=pagination, filters=filters, ancestors=ancestors
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def create_user():
    form = CreateUserForm()
    if request.method == "GET":
        form.place.data = request.args.get("place", "")
        if request.args.get("role") in {r.value for r in Role}:
            form.role.data = request.args["role"]
        for name in ("username", "full_name", "phone", "email"):
            form[name].data = (request.args.get(name) or "")[:120]
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            user = operations.create_user(
                _admin(),
                username=form.username.data,
                full_name=form.full_name.data,
                phone=form.phone.data,
                email=form.email.data,
                role=form.role.data,
                place=place_queries.place_by_code(form.place.data),
                password=form.password.data,
            )
        if done:
            flash(_("%(name)s was created.", name=user.full_name), "success")
            return redirect(url_for("accounts.show_user", user_id=user.id))
    return _render_user_form(form, None), page_status(done)


def _render_user_form(form, user):
    """The user form with its place picker: county → township → village or school, or a search
    by name, within the administrator's area."""
    place = place_queries.place_by_code(form.place.data) if form.place.data else None
    area = place.township if isinstance(place, School) else place
    picker = place_picker.build(
        "place",
        request.args,
        root=queries.root_of(current_user),
        county=area if area is not None and area.level == AreaLevel.COUNTY else _county_of(area),
        township=area if area is not None and area.township_id == area.id else _township_of(area),
    )
    keep = {name: form[name].data for name in ("username", "full_name", "role", "phone", "email") if name in form}
    return render_template(
        "accounts/user_form.html",
        form=form,
        user=user,
        picker=picker,
        places=place_picker.with_current(picker.options, form.place.data),
        keep=keep,
    )


def _county_of(area):
    return db.session.get(Area, area.county_id) if area is not None and area.county_id else None


def _township_of(area):
    return db.session.get(Area, area.township_id) if area is not None and area.township_id else None


@bp.route("/admin/users/<int:user_id>")
@admin_required
def show_user(user_id):
    user = queries.get_user_or_404(user_id, queries.root_of(current_user))
    return render_template("accounts/user.html", user=user, place=queries.place_of(user), form=EmptyForm())


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_user(user_id):
    user = queries.get_user_or_404(user_id, queries.root_of(current_user))
    form = EditUserForm()
    if request.method == "GET":
        place = queries.place_of(user)
        form.full_name.data = user.full_name
        form.phone.data = user.phone
        form.email.data = user.email
        form.role.data = user.role
        form.place.data = place.code if place is not None else ""
        # coming back from the place picker: what was typed before is kept
        for name in ("full_name", "phone", "email"):
            if request.args.get(name):
                form[name].data = request.args[name][:120]
        if request.args.get("role") in {r.value for r in Role}:
            form.role.data = request.args["role"]
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.update_user(
                _admin(),
                user,
                full_name=form.full_name.data,
                phone=form.phone.data,
                email=form.email.data,
                role=form.role.data,
                place=place_queries.place_by_code(form.place.data),
            )
        if done:
            flash(_("The changes to %(name)s were saved.", name=user.full_name), "success")
            return redirect(url_for("accounts.show_user", user_id=user.id))
    return _render_user_form(form, user), page_status(done)


def _user_action(user_id, operation, done_message, *, confirmed=True):
    user = queries.get_user_or_404(user_id, queries.root_of(current_user))
    if not confirmed:
        # only the confirmation's own button acts (it says whom, and what follows)
        flash(_("Confirm the deactivation first."), "error")
        return redirect(url_for("accounts.show_user", user_id=user.id, _anchor="deactivate"))
    if EmptyForm().validate_on_submit():
        with refusals() as done:
            operation(_admin(), user)
        if done:
            flash(done_message(user), "success")
    return redirect(url_for("accounts.show_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_user(user_id):
    return _user_action(
        user_id,
        operations.deactivate_user,
        lambda user: _("%(name)s was deactivated.", name=user.full_name),
        confirmed=request.form.get("confirm") == "1",
    )


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate_user(user_id):
    return _user_action(
        user_id, operations.reactivate_user, lambda user: _("%(name)s was reactivated.", name=user.full_name)
    )


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def reset_password(user_id):
    user = queries.get_user_or_404(user_id, queries.root_of(current_user))
    form = PasswordForm()
    done = None
    if form.validate_on_submit():
        with refusals(form) as done:
            operations.reset_password(_admin(), user, form.password.data)
        if done:
            if user.id == current_user.id:
                # the administrator's own session would end with the old session version
                login_user(user)
            flash(_("The password of %(name)s was reset.", name=user.full_name), "success")
            return redirect(url_for("accounts.show_user", user_id=user.id))
    return render_template("accounts/password.html", form=form, user=user), page_status(done)
