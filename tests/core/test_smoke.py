"""The first thing a user sees: the health check, and logging in to the home page in Chinese."""

from tests.fixtures.users import PASSWORD


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_login_lands_on_the_home_page_in_chinese(client, users, own_case):
    client.post("/lang/zh_CN")
    login_page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in login_page and "控辍保学" in login_page

    response = client.post(
        "/login", data={"username": users.school_admin.username, "password": PASSWORD}, follow_redirects=True
    )
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302]
    assert response.request.path == "/dashboard"  # a school administrator lands on the school's figures
    page = response.get_data(as_text=True)
    assert "<title>工作台" in page and "登记学生" in page
    assert f"{users.school_admin.full_name} · 学校管理员" in page and "退出" in page

    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/dashboard"
    cases = client.get("/cases").get_data(as_text=True)
    assert "共 1 件" in cases and own_case.child.name in cases
