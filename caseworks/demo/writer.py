"""Bulk writes for large loads: PostgreSQL's COPY where available, batched executemany elsewhere.

Rows are plain dicts keyed by column name; every row of one call has the same keys. Nothing
goes through ORM objects, so nothing fills in Python-side column defaults: callers pass every
column that is not nullable.
"""

from sqlalchemy import func, insert, select, text


class BulkWriter:
    def __init__(self, session, batch=5000):
        self.session = session
        self.batch = batch
        self.dialect = session.get_bind().dialect.name
        self.counts = {}

    def write(self, model, rows):
        table = model.__table__
        rows = list(rows)
        if not rows:
            return 0
        columns = list(rows[0])
        if self.dialect == "postgresql":
            self._copy(table, columns, rows)
        else:
            for start in range(0, len(rows), self.batch):
                self.session.execute(insert(table), rows[start:start + self.batch])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        return len(rows)

    def _copy(self, table, columns, rows):
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        raw = self.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in columns))

    def next_id(self, model):
        """The first free id of ``model``'s table (ids are given out by the caller)."""
        return (self.session.scalar(select(func.max(model.id))) or 0) + 1

    def sync_sequence(self, model):
        """After rows with explicit ids: move PostgreSQL's sequence past them."""
        if self.dialect != "postgresql":
            return
        name = model.__table__.name
        self.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                 f"GREATEST((SELECT max(id) FROM {name}), 1))")
        )
