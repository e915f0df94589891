"""Transfers: the case's village and school are chosen with pickers, not typed codes; accepting
asks for the school in the new place (or "not enrolled yet") and may name the village cadre, so
that both lines can be held again in the receiving township."""

import pytest
from sqlalchemy import select

from caseworks.core.choices import Stage
from caseworks.extensions import db
from caseworks.ladder.models import Transfer
from caseworks.visits import operations as visit_ops


@pytest.fixture
def case(make_case, users):
    case = make_case(stage=Stage.TOWNSHIP_PERSUASION, teacher=users.teacher, cadre=users.village_cadre)
    visit_ops.ensure_planned(case)
    return case


def _ask(client, case, places, **data):
    return client.post(
        f"/cases/{case.id}/transfer",
        data={"village_code": places.vil_a2a.code, "reason": "随父母搬到克度镇", **data},
    )


def test_the_transfer_page_offers_places_to_choose_not_codes_to_type(client, login, users, case, places):
    login(users.township_official)
    page = client.get(f"/cases/{case.id}/transfer").get_data(as_text=True)
    # the case's own county is chosen, its townships offered, and its villages listed by township
    assert '<select id="picker-county" name="county"' in page
    assert f'<option value="{places.county_a.id}" selected>平塘县</option>' in page
    assert '<optgroup label="克度镇">' in page
    assert f'<option value="{places.vil_a2a.code}">金河村</option>' in page
    assert f'<option value="{places.school_a2.code}">克度镇中心小学（Primary school）</option>' in page
    assert 'inputmode="numeric"' not in page
    # one township at a time
    page = client.get(f"/cases/{case.id}/transfer?county={places.county_a.id}&township={places.town_a2.id}")
    text = page.get_data(as_text=True)
    assert f'value="{places.vil_a2a.code}"' in text and f'value="{places.vil_a1b.code}"' not in text
    # another county
    text = client.get(f"/cases/{case.id}/transfer?county={places.county_b.id}").get_data(as_text=True)
    assert f'value="{places.vil_b1a.code}"' in text and f'value="{places.vil_a2a.code}"' not in text
    # or by name, anywhere
    text = client.get(f"/cases/{case.id}/transfer?q=五星").get_data(as_text=True)
    assert f'<option value="{places.vil_b1a.code}">黔南州罗甸县龙坪镇五星村</option>' in text


def test_accepting_asks_for_the_new_school_and_both_lines_follow(client, login, users, case, places, make_user):
    from caseworks.core.choices import Role

    new_cadre = make_user(Role.VILLAGE_CADRE, places.vil_a2a, "cadre_new")
    login(users.township_official)
    assert _ask(client, case, places).status_code == 302  # the new school is not known yet
    transfer = db.session.scalars(select(Transfer)).one()
    login(users.other_township_official)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    form = page.split('id="accept-transfer"', 1)[1].split("</form>", 1)[0]
    assert 'name="school_id"' in form and "Not enrolled yet" in form
    assert f'<option value="{places.school_a2.id}">克度镇中心小学</option>' in form
    assert f'value="{new_cadre.id}"' in form
    # a school of another county is refused
    refused = client.post(f"/transfers/{transfer.id}/accept", data={"school_id": places.school_b1.id})
    assert refused.status_code == 422
    db.session.expire_all()
    assert transfer.decided_dt is None
    response = client.post(
        f"/transfers/{transfer.id}/accept", data={"school_id": places.school_a2.id, "cadre_id": new_cadre.id}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (case.school_id, case.school_township_id, case.village_id) == (
        places.school_a2.id,
        places.town_a2.id,
        places.vil_a2a.id,
    )
    assert (case.teacher_id, case.cadre_id) == (None, new_cadre.id)
    # the new school's administrator can assign the teacher; the cadre's planned visit is theirs
    login(users.other_school_admin)
    assert client.get(f"/cases/{case.id}/assign/teacher").status_code == 200
    planned = {v.line: v.assignee_id for v in visit_ops.open_planned_visits(case) if v.line}
    assert planned == {"teacher": None, "cadre": new_cadre.id}


def test_a_child_not_enrolled_yet_keeps_no_school(client, login, users, case, places):
    login(users.township_official)
    assert _ask(client, case, places, school_code=places.school_a2.code).status_code == 302
    transfer = db.session.scalars(select(Transfer)).one()
    login(users.other_township_official)
    assert client.post(f"/transfers/{transfer.id}/accept", data={"school_id": 0}).status_code == 302
    db.session.expire_all()
    assert case.school_id is None and case.school_township_id is None
