"""Task handlers: one module per kind of work (see :mod:`telephonist.dispatch.tasks`)."""
