"""Helpers shared by the administration tests."""

from functools import partial

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from caseworks.core.audit import AuditEntry
from caseworks.extensions import db


def last_audit_id():
    return db.session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


def audit_since(entry_id, module=None):
    """The audit entries written after ``entry_id`` (logins left out)."""
    stmt = select(AuditEntry).where(AuditEntry.id > entry_id, AuditEntry.kind.not_in(("login", "logout")))
    if module:
        stmt = stmt.where(AuditEntry.module == module)
    return db.session.scalars(stmt.order_by(AuditEntry.id)).all()


@pytest.fixture
def fast_password_hashing(monkeypatch):
    """The default scrypt hash takes ~0.1 s and every test makes a dozen users; one cheap
    PBKDF2 round checks the same code paths."""
    from caseworks.accounts import models

    monkeypatch.setattr(models, "generate_password_hash", partial(generate_password_hash, method="pbkdf2:sha256:1"))
