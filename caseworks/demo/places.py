"""The demo area tree, schools and users, as rows for bulk insertion."""

from dataclasses import dataclass, field

from caseworks.accounts.models import natural_key
from caseworks.core.choices import GRADES_TAUGHT, AreaLevel, Role, SchoolKind
from caseworks.demo import names

TEACHERS_PER_SCHOOL = {SchoolKind.PRIMARY: 4, SchoolKind.JUNIOR: 4, SchoolKind.NINE_YEAR: 3, SchoolKind.SPECIAL: 3}
#: grades each kind of school teaches (1..9)
SCHOOL_GRADES = {kind: [g.number for g in grades] for kind, grades in GRADES_TAUGHT.items()}


@dataclass
class CountyPlaces:
    """One county's rows plus the lookups the case generator needs."""

    county: dict
    townships: list = field(default_factory=list)
    villages: list = field(default_factory=list)
    villages_of: dict = field(default_factory=dict)  # township id -> [village rows]
    schools: list = field(default_factory=list)
    schools_of: dict = field(default_factory=dict)  # township id -> [school rows]
    special_school: dict | None = None
    teachers_of: dict = field(default_factory=dict)  # school id -> [user rows]
    admin_of: dict = field(default_factory=dict)  # school id -> user row
    cadre_of: dict = field(default_factory=dict)  # village id -> user row
    official_of: dict = field(default_factory=dict)  # township id -> user row
    reviewer: dict | None = None
    #: for the demo county: the demo users' places
    demo: dict = field(default_factory=dict)


class PlaceBuilder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.areas = []
        self.schools = []
        self.users = []
        self._county_names = set()

    # --- areas --------------------------------------------------------------------------------

    def area(self, name, code, level, parent=None):
        area_id = self.ctx.take_id("area")
        row = {
            "id": area_id,
            "name": name,
            "code": code,
            "level": level.value,
            "parent_id": parent["id"] if parent else None,
            "county_id": None,
            "township_id": None,
            "path": (parent["path"] if parent else "") + f"{area_id}.",
            "is_active": True,
        }
        if level == AreaLevel.COUNTY:
            row["county_id"] = area_id
        elif parent is not None:
            row["county_id"] = parent["county_id"]
        if level == AreaLevel.TOWNSHIP:
            row["township_id"] = area_id
        elif parent is not None:
            row["township_id"] = parent["township_id"]
        self.areas.append(row)
        return row

    def province(self):
        name, prefix = names.PROVINCE
        return self.area(name, prefix + "0" * 10, AreaLevel.PROVINCE)

    def city(self, province, index):
        name, prefix = names.CITIES[index]
        return self.area(name, prefix + "0" * 8, AreaLevel.CITY, province)

    def county(self, city, number, *, first_in_city=False):
        """A county with 15 townships of 10 villages and 40 schools, with its users."""
        suffix = "区" if first_in_city else "县"
        name = names.unique_name(self.rng, names.PLACE_FIRST, names.PLACE_SECOND, suffix, self._county_names)
        county = self.area(name, city["code"][:4] + f"{number:02d}" + "0" * 6, AreaLevel.COUNTY, city)
        places = CountyPlaces(county=county)
        taken = set()
        # 10 towns (镇, codes 100-), 2 subdistricts (街道, 001-), 3 rural townships (乡, 200-)
        plan = (
            [("镇", 100 + i) for i in range(10)]
            + [("街道", 1 + i) for i in range(2)]
            + [("乡", 200 + i) for i in range(3)]
        )
        for suffix, number in plan:
            tname = names.unique_name(self.rng, names.TOWN_FIRST, names.TOWN_SECOND, suffix, taken)
            township = self.area(tname, county["code"][:6] + f"{number:03d}000", AreaLevel.TOWNSHIP, county)
            places.townships.append(township)
            places.villages_of[township["id"]] = self._villages(township, suffix)
            places.villages.extend(places.villages_of[township["id"]])
        self._schools(places)
        return places

    def _villages(self, township, township_suffix):
        taken = set()
        communities = 10 if township_suffix == "街道" else (2 if township_suffix == "镇" else 0)
        rows = []
        for i in range(10):
            if i < communities:
                vname = names.unique_name(self.rng, names.VILLAGE_FIRST, names.VILLAGE_SECOND, "社区", taken)
                number = 1 + i
            else:
                vname = names.unique_name(self.rng, names.VILLAGE_FIRST, names.VILLAGE_SECOND, "村", taken)
                number = 201 + i - communities
            rows.append(self.area(vname, township["code"][:9] + f"{number:03d}", AreaLevel.VILLAGE, township))
        return rows

    # --- schools ------------------------------------------------------------------------------

    def school(self, places, name, kind, township):
        school_id = self.ctx.take_id("school")
        self.ctx.school_serial += 1
        row = {
            "id": school_id,
            "name": name,
            "code": f"2152{self.ctx.school_serial:06d}",
            "kind": kind.value,
            "township_id": township["id"],
            "county_id": township["county_id"],
            "is_active": True,
        }
        self.schools.append(row)
        places.schools.append(row)
        places.schools_of.setdefault(township["id"], []).append(row)
        return row

    def _schools(self, places):
        """40 schools: a central primary and a junior school per township, 8 nine-year
        schools, a second primary school and the special school at the county seat."""
        county_name = places.county["name"]
        for township in places.townships:
            tname = township["name"]
            if tname.endswith("街道"):
                short = tname[:-2]
                self.school(places, f"{short}小学", SchoolKind.PRIMARY, township)
                self.school(places, f"{short}中学", SchoolKind.JUNIOR, township)
            else:
                self.school(places, f"{tname}中心小学", SchoolKind.PRIMARY, township)
                self.school(places, f"{tname}中学", SchoolKind.JUNIOR, township)
        # nine-year schools in the outlying towns and the rural townships
        for township in places.townships[5:10] + places.townships[12:15]:
            village = self.rng.choice(places.villages_of[township["id"]][2:])
            name = f"{township['name'][:-1]}{village['name'][:-1]}九年一贯制学校"
            self.school(places, name, SchoolKind.NINE_YEAR, township)
        seat = places.townships[10]
        self.school(places, f"{county_name}第二小学", SchoolKind.PRIMARY, seat)
        places.special_school = self.school(places, f"{county_name}特殊教育学校", SchoolKind.SPECIAL, seat)

    # --- users --------------------------------------------------------------------------------

    def user(self, username, role, *, area=None, school=None, gender=None, rng=None):
        rng = rng or self.rng
        gender = gender or rng.choice(("male", "female"))
        row = {
            "id": self.ctx.take_id("user_account"),
            "username": username,
            "sort_key": natural_key(username),
            "full_name": names.adult_name(rng, gender),
            "phone": names.mobile(rng),
            "email": None,
            "password_hash": self.ctx.password_hash,
            "role": role.value,
            "area_id": area["id"] if area else None,
            "school_id": school["id"] if school else None,
            "is_active": True,
            "api_token_hash": None,
            "created_dt": self.ctx.now,
            "last_login_dt": None,
            "session_version": 1,
        }
        self.users.append(row)
        return row

    def wide_reviewers(self, province, city, rng):
        """County reviewers placed above the counties: ``cityreviewer1`` at the demo county's
        city, ``provincereviewer1`` at the province (their dashboards show a row per county).
        Drawn from their own random stream, so that adding them changed no other row."""
        return [
            self.user("cityreviewer1", Role.COUNTY_REVIEWER, area=city, rng=rng),
            self.user("provincereviewer1", Role.COUNTY_REVIEWER, area=province, rng=rng),
        ]

    def county_users(self, places, *, demo=False):
        """Teachers and a principal per school, a cadre per village, an official per township,
        a reviewer for the county. In the demo county the first ones are the demo users."""
        first_township = places.townships[0]
        demo_school = places.schools_of[first_township["id"]][0]
        demo_village = places.villages_of[first_township["id"]][2]  # a 村, not a 社区
        for school in places.schools:
            count = TEACHERS_PER_SCHOOL[SchoolKind(school["kind"])]
            teachers = []
            for n in range(1, count + 1):
                username = "teacher1" if demo and school is demo_school and n == 1 else f"t{school['id']}_{n}"
                teachers.append(self.user(username, Role.TEACHER, school=school))
            places.teachers_of[school["id"]] = teachers
            username = "principal1" if demo and school is demo_school else f"p{school['id']}"
            places.admin_of[school["id"]] = self.user(username, Role.SCHOOL_ADMIN, school=school)
        for village in places.villages:
            username = "cadre1" if demo and village is demo_village else f"c{village['id']}"
            places.cadre_of[village["id"]] = self.user(username, Role.VILLAGE_CADRE, area=village)
        for township in places.townships:
            username = "township1" if demo and township is first_township else f"tw{township['id']}"
            places.official_of[township["id"]] = self.user(username, Role.TOWNSHIP_OFFICIAL, area=township)
        username = "reviewer1" if demo else f"r{places.county['id']}"
        places.reviewer = self.user(username, Role.COUNTY_REVIEWER, area=places.county)
        if demo:
            places.demo = {
                "school": demo_school,
                "village": demo_village,
                "teacher": places.teachers_of[demo_school["id"]][0],
                "principal": places.admin_of[demo_school["id"]],
                "cadre": places.cadre_of[demo_village["id"]],
            }
