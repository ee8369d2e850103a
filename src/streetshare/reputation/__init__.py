"""Reputation, kind and simple: a resident's public profile (completed exchanges, thanks, loans
returned on time) and the private reliability hint for the one choosing and the street's coordinators."""
