"""Navigation entries and case-page panels that features register for themselves."""

from dataclasses import dataclass, field

from flask import url_for


@dataclass
class NavItem:
    endpoint: str
    label: object
    roles: tuple
    order: int = 50

    @property
    def url(self):
        return url_for(self.endpoint)


@dataclass
class CasePanel:
    """A section of the case detail page: ``context(case, user)`` returns the template's
    variables, or None to leave the panel out."""

    template: str
    context: object
    order: int = 50
    extra: dict = field(default_factory=dict)


NAV_ITEMS: list[NavItem] = []
CASE_PANELS: list[CasePanel] = []


def nav_item(endpoint, label, roles, order=50):
    NAV_ITEMS.append(NavItem(endpoint, label, tuple(roles), order))
    NAV_ITEMS.sort(key=lambda i: i.order)


def case_panel(template, order=50):
    """Decorator registering ``fn(case, user) -> dict | None`` as a case-page panel."""

    def register(fn):
        CASE_PANELS.append(CasePanel(template, fn, order))
        CASE_PANELS.sort(key=lambda p: p.order)
        return fn

    return register


def posted_form(name, make):
    """For a case-page panel: the form of that name posted and refused in this request (shown
    again with what the user typed), or a fresh one from ``make()``."""
    from flask import g

    return g.get("case_forms", {}).get(name) or make()


def nav_for(user):
    if not user.is_authenticated:
        return []
    return [item for item in NAV_ITEMS if user.role in item.roles]


def path_for(endpoint, **values):
    """The path of ``endpoint`` (``/review/12``) also outside a request, as in the scheduler's
    jobs: for the link of an inbox message."""
    from flask import current_app

    return current_app.url_map.bind("localhost").build(endpoint, values)
