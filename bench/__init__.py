"""Benchmarks and load runs against gunicorn and the Odoo double: ``make bench``, ``make load``."""
