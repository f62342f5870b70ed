"""The state history of ``ekstwin record`` and ``ekstwin history``: SQLite by default.

A state is one recorded platform: when, a label, the snapshot (compressed; it is
what later comparisons load), its digest, and the findings and platform summary
of that run. The schema is versioned; :data:`MIGRATIONS` brings any older
database up to date when it is opened, in one transaction per step.
"""

from __future__ import annotations

from ekstwin.store.sqlite import (
    MIGRATIONS,
    SCHEMA_VERSION,
    State,
    StateStore,
    StoredFinding,
    StoreError,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "State", "StateStore", "StoreError", "StoredFinding"]
