"""The kms engine."""
