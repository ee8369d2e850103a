"""Matching: which offers could meet an ask, and which asks an offer could meet, with reasons.

rules.py scores a pair (pure), synonyms.py is the curated word list, queries.py finds candidates
in PostgreSQL (index-driven, scoped by street) and reads stored matches, service.py computes and
stores them (in the worker) and tells people, routes.py shows them.
"""
