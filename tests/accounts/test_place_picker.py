"""Creating a user: the place is chosen county → township → village or school, or found by
name, never typed as a 10- or 12-digit code."""


def test_the_user_form_picks_the_place(client, users, places, login):
    login(users.admin)
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert '<select id="picker-county" name="county"' in page and 'name="place" type="text"' not in page
    assert '<select id="place" name="place">' in page
    # a county chosen: the county itself and its townships can be chosen
    page = client.get(f"/admin/users/new?county={places.county_a.id}&role=township_official").get_data(as_text=True)
    assert f'<option value="{places.town_a1.code}">通州镇</option>' in page
    assert '<option selected value="township_official">' in page  # what was chosen before is kept
    # a township chosen: its villages and schools
    page = client.get(
        f"/admin/users/new?county={places.county_a.id}&township={places.town_a1.id}&full_name=李华"
    ).get_data(as_text=True)
    assert f'<option value="{places.vil_a1a.code}">新场村</option>' in page
    assert f'<option value="{places.school_a1.code}">通州镇中心小学（Primary school）</option>' in page
    assert 'value="李华"' in page
    # found by name
    page = client.get("/admin/users/new?q=金河").get_data(as_text=True)
    assert f'<option value="{places.vil_a2a.code}">黔南州平塘县克度镇金河村</option>' in page


def test_a_chosen_place_is_kept_when_the_form_comes_back(client, users, places, login):
    login(users.admin)
    response = client.post(
        "/admin/users/new",
        data={
            "username": "lihua",
            "full_name": "李华",
            "role": "teacher",
            "place": places.school_a2.code,
            "password": "x",
            "confirm": "x",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<option value="{places.school_a2.code}" selected>' in page
