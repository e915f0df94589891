"""Login and logout."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from caseworks.accounts import operations
from caseworks.accounts.blueprint import bp
from caseworks.accounts.forms import EmptyForm, LoginForm
from caseworks.accounts.models import User
from caseworks.core.views import home_url
from caseworks.extensions import db, login_manager

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


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


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
        except operations.LoginThrottled:
            user = None
            error = _("Too many failed attempts. Try again in 15 minutes.")
            status = 429
            # the refusal itself is kept in the audit trail despite the error status
            g.commit_on_error = True
        else:
            if user is None:
                error = _("Wrong username or password.")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_url(user))
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        operations.record_logout(current_user._get_current_object())
        logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))
