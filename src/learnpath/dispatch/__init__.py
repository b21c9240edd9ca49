"""Getting committed jobs to workers: the local executor, Celery, the relay, the reconciler."""
