"""The community's writes. One module per concern; each module's docstring states its
contract (what it takes, what it returns, the domain errors it raises)."""
