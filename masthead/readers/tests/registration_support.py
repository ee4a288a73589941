"""Helpers the registration, sign-in, email and bot-check tests share (not a test module):
they live in rigs.registration, which bench/bench_accounts.py uses too."""

from rigs.registration import PASSWORD, make_legal_pages, registration_data, solved_altcha

__all__ = ["PASSWORD", "make_legal_pages", "registration_data", "solved_altcha"]
