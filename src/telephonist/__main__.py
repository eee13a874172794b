"""`python -m telephonist` is the same as the `telephonist` command."""

from telephonist.cli import main

main()
