"""Street status ("is it just me?"): residents say whether power, water, broadband, bins, street
lights or something else is off at their home; the street sees how many homes said the same, on
the street and on neighbouring streets, and where to report it officially. Gas records nothing:
it answers with the emergency number at once.

tables.py (status_incident, status_report), rules.py (pure: topics, timeouts, when an incident
ends, gas advice, official contacts), queries.py (the read model, counts only), service.py (the
only writers: report, withdraw, the upkeep that ends incidents gone quiet).
"""
