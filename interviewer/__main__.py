"""``python -m interviewer`` runs the CLI."""

from interviewer.cli import main

main()
