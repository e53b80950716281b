"""Fan-out benchmark: `make bench` (python -m bench). See bench/README.md."""
