"""The reviewer's daily work: the spot-check result is not chosen in advance, the drawn sample
prints as a field-check list, the queue filters by township and requested outcome, and a case
already decided says what was decided, by whom and when."""

import pytest

from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.ladder import transitions
from caseworks.review import operations
from tests.review.conftest import DAY0


def test_the_spot_check_result_is_not_preselected_and_the_sample_prints(client, login, users, make_pending):
    case = make_pending()
    transitions.apply(case, "approve_closure", users.county_reviewer2)
    spot_check = operations.draw_spot_check(users.county_reviewer, [case.id], start=DAY0, end=DAY0, percent=100, seed=7)
    [item] = spot_check.items
    login(users.county_reviewer)
    page = client.get(f"/review/spot-checks/{spot_check.id}").get_data(as_text=True)
    select = page.split(f'id="item{item.id}-result"', 1)[1].split("</select>", 1)[0]
    assert '<option value="">—</option>' in select and "selected" not in select
    # nothing chosen: nothing recorded
    response = client.post(f"/review/spot-checks/{spot_check.id}/items/{item.id}", data={})
    assert response.status_code == 422 and "Choose what the field check found." in response.get_data(as_text=True)
    assert item.result is None
    assert f"/review/spot-checks/{spot_check.id}/print" in page
    printed = client.get(f"/review/spot-checks/{spot_check.id}/print")
    assert printed.status_code == 200
    text = printed.get_data(as_text=True)
    assert case.child.name in text and case.child.address in text and "王大山" in text
    assert "13800138000" not in text  # no full phone numbers on paper


@pytest.mark.parametrize(
    "role,status",
    [("teacher", 403), ("school_admin", 403), ("township_official", 403), ("county_reviewer", 200), ("admin", 403)],
)
def test_who_may_print_the_field_check_list(client, login, users, make_pending, role, status):
    case = make_pending()
    transitions.apply(case, "approve_closure", users.county_reviewer2)
    spot_check = operations.draw_spot_check(users.county_reviewer, [case.id], start=DAY0, end=DAY0, percent=100, seed=7)
    login(getattr(users, role))
    assert client.get(f"/review/spot-checks/{spot_check.id}/print").status_code == status


def test_the_queue_filters_by_township_and_outcome(client, login, users, make_pending, places):
    returned = make_pending()
    aged = make_pending(outcome=ClosedOutcome.AGED_OUT)
    elsewhere = make_pending(village=places.vil_a2a, school=places.school_a2)
    login(users.county_reviewer)

    def listed(query=""):
        page = client.get(f"/review{query}").get_data(as_text=True)
        return {c.id for c in (returned, aged, elsewhere) if f"/review/{c.id}" in page}

    assert listed() == {returned.id, aged.id, elsewhere.id}
    assert listed(f"?township={places.town_a2.id}") == {elsewhere.id}
    assert listed("?outcome=aged_out") == {aged.id}
    assert listed(f"?township={places.town_a1.id}&outcome=returned_to_school") == {returned.id}
    page = client.get("/review").get_data(as_text=True)
    assert 'id="queue-filters"' in page and "克度镇" in page


def test_a_decided_case_says_what_was_decided(client, login, users, make_pending):
    case = make_pending()
    transitions.apply(case, "approve_closure", users.county_reviewer2)
    assert case.stage == Stage.CLOSED
    login(users.county_reviewer)
    page = client.get(f"/review/{case.id}").get_data(as_text=True)
    decided = page.split('id="decided"', 1)[1].split("</p>", 1)[0]
    assert "approved by reviewer_a2" not in decided  # the full name, not the username
    assert users.county_reviewer2.full_name in decided and "Returned to school" in decided
    assert "There is no open closure request" not in page
