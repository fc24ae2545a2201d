"""The demo network that `make run` loads and the simulator drives: stations, tariffs, drivers."""
