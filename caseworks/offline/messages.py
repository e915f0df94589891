"""The texts the outbox and the offline banner show, translated on the server.

The browser code has no catalogue of its own: every page carries these in a small JSON block
(templates/base.html), in the page's language. ``{n}``, ``{time}`` and ``{name}`` are filled in
by static/js/messages.js.
"""

from flask_babel import gettext as _


def outbox_messages():
    return {
        "state_waiting": _("Waiting to be sent"),
        "state_sending": _("Sending"),
        "state_sent": _("Sent"),
        "state_attention": _("Needs attention"),
        "offline_since": _(
            "Offline: no signal. You are seeing the copy kept on this phone, refreshed %(time)s.", time="{time}"
        ),
        "offline": _("Offline: no signal."),
        "waiting_count": _("%(n)s visits are waiting on this phone to be sent.", n="{n}"),
        "login_needed": _("Log in again; the visits are sent by themselves once you have."),
        "log_in": _("Log in"),
        "outbox_page": _("To send"),
        "attention_count": _("%(n)s visits need attention: open them, correct them and send them again.", n="{n}"),
        "queued": _("No signal: the visit is kept on this phone and sent when the connection returns."),
        "recorded": _("The visit is recorded."),
        "sent_count": _("%(n)s visits waiting on this phone have been sent and recorded.", n="{n}"),
        "reason_network": _("No connection yet; sent by itself when the signal returns."),
        "reason_login": _("Your login has expired: log in again and the visit is sent by itself."),
        "reason_server": _(
            "The server could not record it just now (%(status)s); it is tried again by itself.", status="{status}"
        ),
        "reason_update": _("The app was updated: reload the page and the visit is sent by itself."),
        "reason_gone": _(
            "This case is no longer yours (transferred or reassigned): the visit cannot be recorded on it."
        ),
        "reason_conflict": _("This visit was already recorded on another case."),
        "reason_fields": _("Some entries need correcting; see the messages by the fields."),
        "reason_too_large": _("The photos are too large to send: remove some and send again."),
        "typed_at": _("Typed %(time)s", time="{time}"),
        "sent_at": _("Sent %(time)s", time="{time}"),
        "photos": _("%(n)s photos", n="{n}"),
        "photos_kept": _("%(n)s photos are kept with this visit; choose new ones to replace them.", n="{n}"),
        "open_visit": _("See the recorded visit"),
        "open_fix": _("Open and correct"),
        "send_now": _("Send now"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this visit? It has not been recorded and cannot be recovered."),
        "discarded": _("The visit was discarded from this phone."),
        "empty": _("Nothing waiting on this phone."),
        "logout_confirm": _(
            "%(n)s visits on this phone have not been recorded. Logging out deletes them from this phone. "
            "Log out anyway?",
            n="{n}",
        ),
        "other_user": _(
            "This phone holds %(n)s visits by %(name)s not yet sent. %(name)s should log in to send them; "
            "anyone else who logs in here deletes them.",
            n="{n}",
            name="{name}",
        ),
        "wiped_other_user": _(
            "The data another user left on this phone was deleted, with %(n)s unsent visits.", n="{n}"
        ),
        "no_offline_start": _(
            "This browser or connection cannot open the app without signal (it needs HTTPS); visits typed "
            "without signal are still kept on this phone and sent later."
        ),
    }
