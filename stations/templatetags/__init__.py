"""Template tags of the operator and driver pages."""
