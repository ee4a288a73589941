"""The demo newsroom, The Harbour Ledger: fictional articles, authors and drawings.

Invariant: loading twice changes nothing (see `loader.load_demo_content`).
"""

from .loader import DemoSummary, load_demo_content

__all__ = ["DemoSummary", "load_demo_content"]
