"""`python -m calbot`: the same as the `calbot` command."""

from calbot.cli import main

main()
