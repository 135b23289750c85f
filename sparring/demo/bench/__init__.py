"""The benchmarks of ``make bench`` (issue 17): shared parts.

``summary`` keeps the figures of one run in ``var/bench/summary.json`` and
checks them against the targets; ``database`` names the separate database the
benchmarks write to, so a developer's own data is never touched.
"""
