"""Sales by region: a small cached pipeline over a CSV file, with a helper module.

Every task is cached, so running the workflow again on the same content (from any path)
computes nothing; editing one task, or the helper it imports, recomputes that task and what
depends on its output. See "Caching and lineage" in the README.
"""
