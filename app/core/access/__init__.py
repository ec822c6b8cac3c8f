"""What a key may do: the scope grammar, field rules and their enforcement, scope bounds, Fernet keys."""
