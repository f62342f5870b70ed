"""ipam checks: one check per file, IPM001..."""
