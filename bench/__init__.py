"""The load benchmark behind `make bench` and the per-frame microbenchmark."""
