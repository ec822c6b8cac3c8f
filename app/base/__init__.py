"""What every part may use: settings, the error tree, logging, URL patterns; imports nothing of app."""

__version__ = "1.0.0"
