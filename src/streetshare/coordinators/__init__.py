"""Street coordinators: the dashboard, growing the street (invites, flyer, share text), and the CSV export."""
