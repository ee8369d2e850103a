"""Exchanges: every deal tracked from "can I borrow it?" to "returned, thanks"."""
