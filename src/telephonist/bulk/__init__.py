"""``telephonist bulk``: send one message per row of a CSV file, resumably, and follow up.

:mod:`~telephonist.bulk.plan` turns a file and a template into :class:`~telephonist.bulk.plan.Row`
values (no I/O beyond the bytes it is given), :mod:`~telephonist.bulk.results` reads and writes
the results file, and :mod:`~telephonist.bulk.send` is the only part that talks HTTP.
"""
