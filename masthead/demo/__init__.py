"""The demo newsroom, The Harbour Ledger: fictional articles, authors and drawings.

`manage.py load_demo` (and `make demo`) loads it; the work is in
`masthead.demo.loader.load_demo_content`.

Invariants: loading twice changes nothing (see `loader.load_demo_content`). The demo sits
on top of every app (it builds pages, legal pages, newsletters and an editor), and no
app imports it. This package imports nothing at load time, because Django imports it
(an installed app) before the models are ready.
"""
