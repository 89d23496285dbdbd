"""The load bench: locust against gunicorn, PostgreSQL, Redis and Celery.

See bench/load/run.py. A folder rather than bench/*.py, so `make bench` does
not run it with the other benches.
"""
