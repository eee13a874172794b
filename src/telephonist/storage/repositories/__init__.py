"""Where the SQL lives: one module per aggregate, called by the handlers.

A repository function takes a ``Connection`` and plain values and returns plain rows (mappings
keyed by column name), sets, or small dataclasses; it never opens a transaction, so a handler
can compose several calls into one unit of work. Handlers run functions that write through
``Database.run`` and functions that only read through ``Database.read`` -- which lets reads go
to connections of their own, without waiting for the writer.

A list endpoint gets a :class:`~telephonist.storage.repositories.listing.Listing` (the filtered
query and its keyset order) from the repository and pages through it with
:func:`~telephonist.storage.repositories.listing.read_page`.
"""
