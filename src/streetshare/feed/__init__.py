"""The street feed: newest offers and asks in a resident's scope, with filters and search."""
