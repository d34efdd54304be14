"""A synthetic local authority for demos, tests and benchmarks. No real person is in it."""
