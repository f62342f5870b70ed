"""Checks of the vpc engine (the AWS network around the pods), one per file."""
