"""Requests have limits: a body larger than MAX_CONTENT_LENGTH is refused before it is read,
and an image with more pixels than can be decoded safely is refused; what is stored is
re-encoded."""

import io
import struct
import zlib
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from caseworks.core import clock, images
from caseworks.extensions import db
from caseworks.visits.models import Visit, VisitPhoto


class Endless(io.RawIOBase):
    """A request body that counts what the server reads of it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.read_bytes

    def seek(self, offset, whence=0):
        return self.read_bytes

    def readinto(self, buffer):
        self.read_bytes += len(buffer)
        buffer[:] = b"a" * len(buffer)
        return len(buffer)


def test_a_huge_login_body_is_refused_before_it_is_read(client):
    body = Endless()
    response = client.post(
        "/login",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": "100000000"},
    )
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert body.read_bytes < 1024 * 1024


def test_a_huge_api_body_is_refused(client):
    response = client.post(
        "/api/v1/cases/1/visits",
        input_stream=Endless(),
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": "100000000"},
    )
    assert response.status_code in (401, 413)  # refused unauthenticated, or for its size; never read


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width, height):
    """A small PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def _visit_form(**photos):
    return {
        "client_uuid": "",
        "visit_date": clock.today().isoformat(),
        "method": "home_visit",
        "visitors": ["teacher"],
        "outcome": "not_at_home",
        **photos,
    }


def test_a_decompression_bomb_is_refused_by_its_field(client, login, users, make_case):
    case = make_case(teacher=users.teacher, opened_date=clock.today() - timedelta(days=3))
    login(users.teacher)
    data = _visit_form(photos=[(io.BytesIO(png_claiming(30000, 30000)), "bomb.png")])
    response = client.post(f"/cases/{case.id}/visits/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VisitPhoto)) == 0
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))) == 0


def test_a_photo_is_stored_re_encoded_without_its_metadata(client, login, users, make_case):
    case = make_case(teacher=users.teacher, opened_date=clock.today() - timedelta(days=3))
    original = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: metadata that must not travel on
    Image.new("RGB", (3000, 2000), "green").save(original, "JPEG", exif=exif)
    original = original.getvalue() + b"PK\x03\x04 hidden zip behind the image"
    login(users.teacher)
    data = _visit_form(photos=[(io.BytesIO(original), "door.jpeg")])
    assert client.post(f"/cases/{case.id}/visits/new", data=data, content_type="multipart/form-data").status_code == 302
    stored = db.session.scalars(select(VisitPhoto)).one()
    assert stored.content_type == "image/jpeg" and stored.filename == "door.jpg"
    assert b"hidden zip" not in stored.data and b"PhoneMaker" not in stored.data
    with Image.open(io.BytesIO(stored.data)) as image:
        assert max(image.size) == images.STORED_SIDE


def test_reencode_refuses_what_is_no_image():
    for data in (b"", b"MZ", b"\x89PNG\r\n\x1a\n" + b"0" * 64, b"GIF89a" + b"\x00" * 40):
        try:
            images.reencode(data)
        except images.BadImage:
            continue
        raise AssertionError(f"{data[:8]!r} was accepted")
