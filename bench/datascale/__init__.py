"""The data-scale part of `make bench`: costs as the history grows (bench/README.md)."""
