"""Read a live platform, read-only: AWS (``aws``), Kubernetes (``k8s``).

``policy`` holds the permissions the collectors need (the shipped IAM policy
and ClusterRole). boto3 and the kubernetes client are optional: they are
imported when a collection starts. See ``docs/collect.md``.
"""
