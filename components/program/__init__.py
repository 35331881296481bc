"""How a run of the program itself behaves (collector.py: the garbage collector switch)."""
