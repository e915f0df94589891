"""Helpers for browser journeys (import them, or use the fixtures of the same name)."""

#: the password of every demo user (DESIGN.md)
DEMO_PASSWORD = "demo-pass-2026"


def login_as(page, username, password=DEMO_PASSWORD):
    """Fill the login form as a person would and submit it; returns the page, now on the page
    the login led to (the home page, or the form again with an error)."""
    if "/login" not in page.url:
        page.goto("/login")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    return page


def logout(page):
    """Press the header's log-out button."""
    with page.expect_navigation():
        page.locator("header form[action$='/logout'] button").click()
    return page
