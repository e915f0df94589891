"""The area tree (province → city → county → township → village) and schools."""

from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseworks.core.choices import AreaLevel, SchoolKind
from caseworks.extensions import db


class Area(db.Model):
    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: 12-digit administrative division code (统计用区划代码)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: the county this area lies in (itself for a county; None above county level)
    county_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: the township this area lies in (itself for a township; None above township level)
    township_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    #: ancestor ids joined by dots, ending with a dot: "1.4.17." — subtree = prefix match
    path: Mapped[str] = mapped_column(String(120), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Optional["Area"]] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="joined", innerjoin=False
    )

    @property
    def level_enum(self):
        return AreaLevel(self.level)

    @property
    def full_name(self):
        names = []
        area = self
        while area is not None and area.level not in (AreaLevel.PROVINCE,):
            names.append(area.name)
            area = area.parent
        return "".join(reversed(names))

    def __repr__(self):
        return f"<Area {self.id} {self.level} {self.name}>"


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: 10-digit school identification code (学校标识码)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=SchoolKind.PRIMARY)
    township_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    township: Mapped[Area] = relationship(foreign_keys=[township_id])

    def __repr__(self):
        return f"<School {self.id} {self.name}>"
