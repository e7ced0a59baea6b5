"""``python -m voting``: see :mod:`voting.cli`."""

from voting.cli import main

raise SystemExit(main())
