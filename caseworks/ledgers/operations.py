"""Exports are data about children: each one is written to the audit trail."""

from caseworks.core import audit


def record_ledger_export(user, *, what, filters, rows, full_ids, month=None):
    """Write an export of ``what`` (the ledger, a monthly report...) with its filter
    (:class:`caseworks.cases.queries.CaseFilters`) and row count to the audit trail."""
    return audit.record(
        "export",
        f"{what} exported: {rows} rows",
        module="ledgers",
        actor=user,
        data={
            "what": what,
            "case_filters": _filter_data(filters),
            "rows": rows,
            "full_ids": full_ids,
            "month": month,
            "format": "xlsx",
        },
    )


def _filter_data(filters):
    """The active filters as the trail keeps data: codes, and ids under the keys of their rows."""
    data = {
        "stage": filters.stage,
        "kind": filters.kind,
        "groups": [filters.group] if filters.group else None,
        "township_id": filters.township,
        "village_id": filters.village,
        "school_id": filters.school,
        "q": filters.q,
        "mine": filters.mine or None,
        "unassigned": filters.unassigned or None,
    }
    return {k: v for k, v in data.items() if v}
