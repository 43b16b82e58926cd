"""Local servers that speak each source's real protocol, serving the simulated world."""
