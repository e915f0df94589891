"""``flask seed-demo`` gives the same data on every run (two loads into an empty database, so
this module does not share the loaded data of tests/demo/test_seed.py)."""

from sqlalchemy import select

from caseworks.cases.models import Child
from caseworks.demo import generator
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest, LegalStep, Notice


def _snapshot():
    return (
        list(db.session.scalars(select(Child.name).order_by(Child.id).limit(50))),
        list(
            db.session.execute(
                select(Notice.case_id, Notice.document_no, Notice.served_date, Notice.body).order_by(
                    Notice.county_id, Notice.year, Notice.number
                )
            )
        ),
        list(
            db.session.execute(
                select(LegalStep.case_id, LegalStep.kind, LegalStep.document_no).order_by(
                    LegalStep.case_id, LegalStep.step_date, LegalStep.kind
                )
            )
        ),
        list(
            db.session.execute(
                select(
                    ClosureRequest.case_id,
                    ClosureRequest.outcome,
                    ClosureRequest.requested_by_id,
                    ClosureRequest.decision,
                ).order_by(ClosureRequest.case_id, ClosureRequest.requested_dt)
            )
        ),
    )


def test_the_data_is_the_same_on_every_run(app):
    first = generator.seed(db.session, "county")
    before = _snapshot()
    db.session.rollback()
    second = generator.seed(db.session, "county")
    assert _snapshot() == before
    assert first.counts == second.counts
