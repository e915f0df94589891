"""An administrator edits a county's policy profile; the cadence and guards read it."""

from sqlalchemy import select

from caseworks.core import audit, policy
from caseworks.extensions import db


def _form(**overrides):
    profile = policy.defaults()
    data = {name: getattr(profile, name) for name in policy.PolicyProfile.EDITABLE}
    data.update(overrides)
    return data


def test_the_admin_edits_a_county_profile(client, login, users, places):
    login(users.admin)
    assert client.get(f"/admin/places/{places.county_a.id}/policy").status_code == 200
    response = client.post(
        f"/admin/places/{places.county_a.id}/policy", data=_form(visit_interval_days=14, notice_deadline_days=7)
    )
    assert response.status_code == 302
    profile = policy.profile_for(places.county_a.id)
    assert (profile.visit_interval_days, profile.notice_deadline_days) == (14, 7)
    assert policy.profile_for(places.county_b.id).visit_interval_days == 30
    entry = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.module == "places")).one()
    assert entry.data["after"] == {"visit_interval_days": 14, "notice_deadline_days": 7}


def test_bad_values_are_refused_by_the_field(client, login, users, places):
    login(users.admin)
    for overrides, message in (
        ({"visit_interval_days": 0}, "Number must be between"),
        ({"min_home_visits": 5, "min_persuasion_contacts": 2}, "Cannot exceed"),
        ({"urge_notice_text": "{parent} 你好"}, "Unknown placeholder: parent"),
        ({"urge_notice_text": "{child"}, "unmatched"),
    ):
        response = client.post(f"/admin/places/{places.county_a.id}/policy", data=_form(**overrides))
        assert response.status_code == 422, overrides
        assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(policy.PolicyProfile)).all() == []


def test_only_counties_have_profiles_and_only_admins_edit_them(client, login, users, places):
    login(users.admin)
    assert client.get(f"/admin/places/{places.town_a1.id}/policy").status_code == 404
    login(users.county_reviewer)
    assert client.get(f"/admin/places/{places.county_a.id}/policy").status_code == 403
