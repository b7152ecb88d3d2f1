"""Benchmarks: `make bench` (python -m bench) runs every bench/*.py module's main()."""
