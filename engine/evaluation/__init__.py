"""Benchmark evaluation: public video summarisation and highlight datasets, scored by their papers' protocols."""
