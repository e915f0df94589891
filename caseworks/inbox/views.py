"""The inbox: reminders and flags sent to the logged-in user, with the unread count in the header."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from caseworks.core.choices import Role
from caseworks.core.nav import nav_item
from caseworks.core.numbers import positive_int
from caseworks.core.views import safe_local_path
from caseworks.extensions import db
from caseworks.inbox import operations
from caseworks.inbox.blueprint import bp
from caseworks.inbox.models import Message

nav_item("inbox.inbox", _l("Inbox"), tuple(Role), order=60)


def unread_count(user):
    return db.session.scalar(
        select(func.count()).select_from(Message).where(Message.user_id == user.id, Message.read_dt.is_(None))
    )


@bp.app_context_processor
def inbox_badge():
    if current_user and current_user.is_authenticated:
        return {"unread_count": unread_count(current_user)}
    return {"unread_count": 0}


@bp.route("/inbox")
@login_required
def inbox():
    page = db.paginate(
        select(Message)
        .where(Message.user_id == current_user.id)
        .order_by(Message.read_dt.is_not(None), Message.created_dt.desc(), Message.id.desc()),
        page=positive_int(request.args.get("page"), 1),
        per_page=30,
        error_out=False,
    )
    return render_template("inbox/inbox.html", pagination=page)


def _own_message(message_id):
    message = db.session.get(Message, message_id)
    if message is None or message.user_id != current_user.id:
        abort(404)
    return message


@bp.route("/inbox/<int:message_id>/open", methods=["POST"])
@login_required
def open_message(message_id):
    """Mark the message read and go to what it is about: its page (a filtered case list), its
    case, or back to the inbox."""
    message = _own_message(message_id)
    operations.mark_read(message)
    if message.link and safe_local_path(message.link):
        return redirect(safe_local_path(message.link))
    if message.case_id:
        return redirect(url_for("cases.case_detail", case_id=message.case_id))
    return redirect(url_for("inbox.inbox"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def read_all():
    operations.mark_all_read(current_user)
    flash(_("All messages are marked read."), "success")
    return redirect(url_for("inbox.inbox"))
