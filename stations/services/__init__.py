"""Version-neutral station business logic, one module per concept: the only code that writes
station state.
"""
