"""Masthead's policy for django-allauth, in one adapter class (allauth's own pattern).

Invariant: every decision allauth delegates (who may sign up, where a reader goes
next, what an email says) is made here or in `masthead.readers.services`, never in a
view or template.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class ReaderAccountAdapter(DefaultAccountAdapter):
    pass
