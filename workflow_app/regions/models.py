from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Region(db.Model):
    """The province (code 63) or one of its kabupaten/kota (Kemendagri codes, e.g. 6301)."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # province | regency | city
    seat: Mapped[str | None] = mapped_column(String(120))  # ibu kota
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    @property
    def is_province(self) -> bool:
        return self.kind == "province"

    @property
    def province_code(self) -> str:
        return self.code if self.parent is None else self.parent.code

    def __str__(self) -> str:
        return self.name


class Agency(db.Model):
    """An agency (OPD) of a region: Bappeda, Dinas PUPR, DLH, Dinkes, Perkim, …"""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    short_name: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))

    region: Mapped[Region] = relationship()

    def __str__(self) -> str:
        return self.short_name
