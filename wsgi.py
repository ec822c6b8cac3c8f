"""The WSGI entrypoint for gunicorn and ``flask --app wsgi``: reads and checks the environment."""

from app import create_app

app = create_app()
