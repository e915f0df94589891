"""``seeded``: the county demo data, loaded once per test module and shared (tests/demo/conftest.py)."""

from tests.demo.conftest import _county_data, _test_transaction, seeded  # noqa: F401 - fixtures
