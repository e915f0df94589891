"""Bulk writes for large loads (the demo data, imports): PostgreSQL's COPY where available,
batched executemany elsewhere.

Rows are plain dicts keyed by column name; every row of one call has the same keys. Nothing
goes through ORM objects, so nothing fills in Python-side column defaults: callers pass every
column that is not nullable. Rows may come from a generator: they are streamed, never all held.
"""

import json
from itertools import chain, islice

from sqlalchemy import JSON, func, insert, select, text


class BulkWriter:
    def __init__(self, session, batch=5000):
        self.session = session
        self.batch = batch
        self.dialect = session.get_bind().dialect.name
        self.counts = {}

    def write(self, model, rows):
        table = model.__table__
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        columns = list(first)
        rows = chain((first,), rows)
        if self.dialect == "postgresql":
            written = self._copy(table, columns, rows)
        else:
            written = 0
            while chunk := list(islice(rows, self.batch)):
                self.session.execute(insert(table), chunk)
                written += len(chunk)
        self.counts[table.name] = self.counts.get(table.name, 0) + written
        return written

    def _copy(self, table, columns, rows):
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
        raw = self.session.connection().connection.driver_connection
        written = 0
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if as_json:
                    values = tuple(json.dumps(row[c], ensure_ascii=False) if c in as_json else row[c] for c in columns)
                else:
                    values = tuple(row[c] for c in columns)
                copy.write_row(values)
                written += 1
        return written

    def take_ids(self, model, count):
        """``count`` new ids of ``model``'s table from its PostgreSQL sequence (rows written with
        COPY carry their ids, so that rows pointing at them can be written at once)."""
        name = model.__table__.name
        return list(
            self.session.scalars(
                text(f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, :n)"),
                {"n": count},
            )
        )

    def next_id(self, model):
        """The first free id of ``model``'s table (ids are given out by the caller)."""
        return (self.session.scalar(select(func.max(model.id))) or 0) + 1

    def sync_sequence(self, model):
        """After rows with explicit ids: move PostgreSQL's sequence past them."""
        if self.dialect != "postgresql":
            return
        name = model.__table__.name
        self.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), GREATEST((SELECT max(id) FROM {name}), 1))")
        )
