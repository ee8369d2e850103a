"""Photos of offers and asks: re-encoded without metadata, stored by content hash, served in scope."""
