"""Thin Flask views, one blueprint per endpoint group: load the body, call the gateway, return."""
