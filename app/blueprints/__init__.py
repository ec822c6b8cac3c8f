"""Thin views: load the request, delegate to the Gateway, return JSON."""
