"""Template tags of reliability: the open alarms on the dashboard."""
