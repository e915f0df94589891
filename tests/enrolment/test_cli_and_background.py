"""The import as a command, and large files checked and imported by the scheduler process:
progress kept, a killed run leaves nothing and can be started again."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseworks.enrolment import jobs
from caseworks.enrolment.models import Enrolment, ImportBatch
from caseworks.extensions import db
from tests.enrolment.helpers import csv_bytes, pupil, upload, xlsx_bytes


def _enrolments():
    return db.session.scalar(select(func.count()).select_from(Enrolment))


@pytest.fixture
def roster_file(tmp_path):
    def make(rows, name="roster.xlsx"):
        path = tmp_path / name
        path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows))
        return str(path)

    return make


def test_the_command_prints_the_preview_and_writes_only_when_confirmed(app, places, roster_file):
    db.session.commit()  # the command rolls back what it does not write: keep the places
    runner = app.test_cli_runner()
    path = roster_file([pupil(1), pupil(2), pupil(3, 姓名="")])
    result = runner.invoke(args=["import", "roster", path, "--school", places.school_a1.code])
    assert result.exit_code == 0, result.output
    assert "new 2, changed 0, unchanged 0, invalid 1, left 0" in result.output
    assert "line 4: The name is empty." in result.output
    assert "Nothing written" in result.output
    assert _enrolments() == 0

    result = runner.invoke(args=["import", "roster", path, "--school", places.school_a1.code, "--confirm"])
    assert result.exit_code == 1
    assert "Nothing written: 1 invalid rows" in result.output
    assert _enrolments() == 0

    result = runner.invoke(
        args=["import", "roster", path, "--school", places.school_a1.code, "--confirm", "--only-valid"]
    )
    assert result.exit_code == 0, result.output
    assert "Written: new 2" in result.output
    assert _enrolments() == 2

    clean = roster_file([pupil(1), pupil(2)], "again.csv")
    result = runner.invoke(args=["import", "roster", clean, "--school", places.school_a1.code, "--confirm"])
    assert result.exit_code == 0
    assert "Written: new 0, changed 0, unchanged 2, invalid 0, left 0" in result.output


def test_the_command_refuses_an_unknown_school_and_an_unreadable_file(app, places, tmp_path):
    db.session.commit()
    runner = app.test_cli_runner()
    bad = tmp_path / "roster.xlsx"
    bad.write_bytes(b"not a workbook")
    result = runner.invoke(args=["import", "roster", str(bad), "--school", "9999999999"])
    assert result.exit_code == 2 and "No school" in result.output
    result = runner.invoke(args=["import", "roster", str(bad), "--school", places.school_a1.code])
    assert result.exit_code == 2 and "cannot be read" in result.output


@pytest.fixture
def small_background(app):
    saved = app.config["IMPORT_BACKGROUND_ROWS"]
    app.config["IMPORT_BACKGROUND_ROWS"] = 3
    yield
    app.config["IMPORT_BACKGROUND_ROWS"] = saved


def test_a_large_file_is_checked_and_imported_in_the_background(client, login, users, places, small_background):
    login(users.school_admin)
    response = upload(client, xlsx_bytes([pupil(n) for n in range(1, 9)]), school_id=places.school_a1.id)
    batch = db.session.scalars(select(ImportBatch)).one()
    assert batch.status == "waiting_check" and batch.total_rows >= 8
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<progress" in page and 'http-equiv="refresh"' in page

    seen = []
    assert jobs.work_imports() == 1
    db.session.expire_all()
    assert batch.status == "ready" and batch.counts["new"] == 8
    client.post(f"/imports/{batch.id}/confirm")
    assert batch.status == "waiting" and _enrolments() == 0
    assert client.get(f"/imports/{batch.id}/progress.json").json["status"] == "waiting"

    batch_id = jobs.claim_next()
    assert jobs.run_batch(batch_id, progress=seen.append)
    db.session.expire_all()
    assert batch.status == "done" and _enrolments() == 8
    assert seen == [8]


class Killed(BaseException):
    """Stands for the process being killed half-way (not an Exception: nothing catches it)."""


def test_a_killed_import_leaves_nothing_and_is_started_again(client, login, users, places, small_background):
    from caseworks.core import clock

    login(users.school_admin)
    rows = [pupil(n % 900 + 1, birth=date(2016, 1, 1) + timedelta(days=n // 900), name=f"学生{n}") for n in range(2100)]
    upload(client, xlsx_bytes(rows), school_id=places.school_a1.id)
    batch = db.session.scalars(select(ImportBatch)).one()
    jobs.work_imports()
    client.post(f"/imports/{batch.id}/confirm")
    batch_id = jobs.claim_next()

    def kill(done_rows):
        assert _enrolments() > 0, "the first chunk is written inside the run's transaction"
        raise Killed()

    with pytest.raises(Killed):
        jobs.run_batch(batch_id, progress=kill)
    db.session.rollback()  # what the database does to a dead connection's transaction
    assert _enrolments() == 0
    db.session.expire_all()
    assert batch.status == "applying"
    assert jobs.claim_next() is None, "a run is not taken up while it may still be alive"

    clock.advance(minutes=3)
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "stopped without finishing" in page
    assert jobs.work_imports() == 1
    db.session.expire_all()
    assert batch.status == "done" and _enrolments() == 2100
