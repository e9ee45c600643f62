"""Benchmarks run by ``qiloop bench``; each prints its figures."""
