"""Moderation: reports from residents, hiding, removing, and the log coordinators keep."""
