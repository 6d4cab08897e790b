"""`python -m publishing.cli`: the same as the `naap-plugin` command."""

from publishing.cli import main

raise SystemExit(main())
