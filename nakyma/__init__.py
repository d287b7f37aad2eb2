"""Näkymä: a shared, current picture of local wellbeing for collective-impact work."""
