"""Users: one role at one place."""

import hashlib
import re
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from caseworks.core import clock
from caseworks.core.choices import Role
from caseworks.extensions import db
from caseworks.places.models import Area, School


def natural_key(username):
    """The username as it sorts naturally: runs of digits by their value (c2 before c10)."""
    return re.sub(r"\d+", lambda m: m.group().zfill(12), (username or "").lower())[:160]


def _natural_key_default(context):
    return natural_key(context.get_current_parameters()["username"])


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: the username for sorting lists naturally (:func:`natural_key`); usernames never change
    sort_key: Mapped[str] = mapped_column(String(160), index=True, default=_natural_key_default)
    full_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    email: Mapped[Optional[str]] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    #: the place of an area-based role (village, township, county or above)
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: the place of a school-based role (teacher, school_admin)
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("school.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: sha256 of the current API token, if one was issued
    api_token_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=clock.now)
    last_login_dt: Mapped[Optional[datetime]]
    #: bumped on password change or deactivation so that old sessions end
    session_version: Mapped[int] = mapped_column(default=1)

    area: Mapped[Optional[Area]] = relationship(lazy="joined")
    school: Mapped[Optional[School]] = relationship(lazy="joined")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def role_enum(self):
        return Role(self.role)

    @property
    def place_name(self):
        if self.school is not None:
            return self.school.name
        if self.area is not None:
            return self.area.full_name
        return ""

    @property
    def township_id(self):
        """The township the user works in, if their place lies within one."""
        if self.school is not None:
            return self.school.township_id
        return self.area.township_id if self.area is not None else None

    @property
    def county_id(self):
        if self.school is not None:
            return self.school.county_id
        return self.area.county_id if self.area is not None else None

    def is_role(self, *roles):
        return self.role in roles

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    def __repr__(self):
        return f"<User {self.username} {self.role}>"
