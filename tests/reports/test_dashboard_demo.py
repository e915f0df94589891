"""On the county demo data, as each demo user who has a dashboard: every number on the page is
counted again from the tables (tests/reports/recount.py), and its link leads to a case list
that says the same total."""

import pytest
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.core import clock
from caseworks.demo.generator import DEMO_PASSWORD
from caseworks.extensions import db
from tests.reports.recount import list_total, numbers_on, recount

OVERSEERS = ("principal1", "township1", "reviewer1", "cityreviewer1", "provincereviewer1")


def _log_in(client, username):
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return db.session.scalar(select(User).where(User.username == username))


@pytest.mark.parametrize("username", OVERSEERS)
def test_every_number_is_recounted_and_its_list_says_the_same(seeded, client, username):
    user = _log_in(client, username)
    page = client.get("/dashboard")
    assert page.status_code == 200
    numbers = numbers_on(page.get_data(as_text=True))
    assert len(numbers) > 30
    today = clock.today()
    wrong = []
    for href, shown in numbers:
        counted = recount(user, href, today)
        listed = list_total(client, href)
        if not shown == counted == listed:
            wrong.append((href, shown, counted, listed))
    assert not wrong, "dashboard / recount / list disagree:\n" + "\n".join(map(str, wrong))
    # the demo data gives every part of the dashboard something to show
    assert sum(n for _, n in numbers) > 0


def test_the_landing_pages(seeded, client):
    for username, landing in (
        ("teacher1", "/visits/mine"),
        ("cadre1", "/visits/mine"),
        ("principal1", "/dashboard"),
        ("township1", "/dashboard"),
        ("reviewer1", "/review"),
        ("cityreviewer1", "/review"),
    ):
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.headers["Location"] == landing, username


def test_wide_reviewers_see_each_county_as_a_row(seeded, client):
    user = _log_in(client, "provincereviewer1")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="by-county"' in html and 'id="by-township"' not in html
    county = db.session.scalar(select(User).where(User.username == "reviewer1")).area
    assert county.name in html
    assert user.area.level == "province"
