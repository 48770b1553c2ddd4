"""``python -m jupyter_track`` is the ``jupyter-track`` command."""

from .cli import main

raise SystemExit(main())
