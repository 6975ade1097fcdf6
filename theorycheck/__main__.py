"""``python -m theorycheck`` runs the command-line interface."""

from theorycheck.cli import main

raise SystemExit(main())
