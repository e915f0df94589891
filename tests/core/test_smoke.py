def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_login_and_home(client, users, login):
    login(users.school_admin)
    response = client.get("/")
    assert response.status_code == 302
