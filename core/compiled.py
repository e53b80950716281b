"""Queries of one fixed shape, compiled to SQL once per process.

Django turns a QuerySet into SQL each time it runs it. For the few
statements every posted message sends (who posts, the room's state, who
follows every message of the room), that compiling cost 300-700 µs of
Python per statement, two to five times what sending the statement and
reading its answer cost (docs/performance.md). A CompiledQuery builds its
QuerySet once, with stand-ins for its parameters, keeps the SQL Django
wrote for it, and sends that again with the real values. The ORM still
writes every statement and converts every value it reads back; only the
repetition is gone.

No maintained package does this for current Django (django-prepared-queries
stopped at Django 2); the part of Django's compiler used here is the one its
own iterables use (as_sql, then the converters results_iter applies).
"""

from django.db import connections, router

# Stand-ins for the parameters while the query is compiled: integers no
# primary key or count takes, each found again among the SQL's parameters.
STAND_IN = -987_654_321


class CompiledQuery:
    """`build(*parameters)` returns the QuerySet; its parameters are
    integers (primary keys), and the same build must give the same shape
    whatever their values. `rows(*values)` runs it for `values`."""

    def __init__(self, build):
        self.build = build
        self.model = None  # the QuerySet's, once built
        self.compiled = {}  # database alias -> (sql, params, slots, compiler, converters)

    def rows(self, *values):
        """The rows, as tuples of what the QuerySet's values_list() would give."""
        using, (sql, params, slots, compiler, converters) = self._compiled(len(values))
        params = list(params)
        for index, parameter in slots:
            params[index] = values[parameter]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if not converters:
            return [tuple(row) for row in fetched]
        return [tuple(row) for row in compiler.apply_converters(fetched, converters)]

    def _compiled(self, count):
        using = self.model and router.db_for_read(self.model)
        if using not in self.compiled:
            stand_ins = [STAND_IN - n for n in range(count)]
            queryset = self.build(*stand_ins)
            self.model, using = queryset.model, router.db_for_read(queryset.model)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            # What results_iter() would convert each column with, found once.
            converters = compiler.get_converters([column for column, *_ in compiler.select[: compiler.col_count]])
            slots = [(i, stand_ins.index(p)) for i, p in enumerate(params) if type(p) is int and p in stand_ins]
            if {parameter for _, parameter in slots} != set(range(count)):
                raise ValueError(f"a parameter of {self.build!r} is not among its SQL's parameters: {params!r}")
            self.compiled[using] = (sql, tuple(params), slots, compiler, converters)
        return using, self.compiled[using]
