"""Reliability suite for pharma-kg: `python -m reliability` (or `make reliability`) prints one table.

It attacks the real `kg serve` from outside — fuzzing, load, SIGKILL, cache damage — and reports
figures with a verdict per row (issue 7, item 6). Nothing here is imported by `kg`.
"""
