"""telephonist test suite."""
