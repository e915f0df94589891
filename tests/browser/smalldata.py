"""A small data set with the demo users, for when the demo seeder is not there (or
CASEWORKS_BROWSER_DATA=small): enough to log in as every role."""

from caseworks.accounts.models import User
from caseworks.core.choices import AreaLevel, Role
from caseworks.extensions import db
from tests.browser.helpers import DEMO_PASSWORD
from tests.fixtures.places import _area, _school


def load_small_data():
    province = _area("贵州省", "520000000000", AreaLevel.PROVINCE)
    city = _area("黔南州", "522700000000", AreaLevel.CITY, province)
    county = _area("平塘县", "522727000000", AreaLevel.COUNTY, city)
    township = _area("通州镇", "522727100000", AreaLevel.TOWNSHIP, county)
    village = _area("新场村", "522727100201", AreaLevel.VILLAGE, township)
    school = _school("通州镇中心小学", "2152000101", township)
    db.session.flush()
    people = [
        ("teacher1", "李芳", Role.TEACHER, school),
        ("cadre1", "王建国", Role.VILLAGE_CADRE, village),
        ("principal1", "张校长", Role.SCHOOL_ADMIN, school),
        ("township1", "陈明", Role.TOWNSHIP_OFFICIAL, township),
        ("reviewer1", "刘督学", Role.COUNTY_REVIEWER, county),
        ("admin", "系统管理员", Role.ADMIN, province),
    ]
    for username, full_name, role, place in people:
        user = User(username=username, full_name=full_name, role=role)
        if isinstance(place, type(school)):
            user.school = place
        else:
            user.area = place
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()
