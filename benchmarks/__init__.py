"""Benchmarks: tensorgrad against hand-written NumPy, a naive engine and peer libraries.

Run ``python -m benchmarks`` from the repository root (``--quick`` for a smoke run). Importing
this package imports nothing else: each library is imported only inside its own worker process.
"""
