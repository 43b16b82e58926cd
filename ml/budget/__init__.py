"""Media budget: adstock + Hill response curves, a constrained allocator and a rule baseline."""
