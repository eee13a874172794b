"""Durable dispatch: the database is the queue; workers lease due tasks and record outcomes."""
