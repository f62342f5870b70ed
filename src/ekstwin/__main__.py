"""``python -m ekstwin``."""

from __future__ import annotations

import sys

from ekstwin.cli.main import main

sys.exit(main())
