"""The password hasher: Argon2id with parameters chosen for app servers that hash a lot.

Invariant: the algorithm name stays "argon2", so hashes made with Django's defaults
still verify, and Django re-hashes them with these parameters at the next sign-in
(`must_update` compares the parameters).

Why these numbers (bench/bench_accounts.py measures them): Django's defaults (t=2,
m=100 MiB, p=8) cost about 300 ms and 100 MiB per hash on a 2-core app server, so a
burst of 20 sign-ins needs 2 GB and queues for seconds. OWASP's Password Storage Cheat
Sheet lists m=19 MiB, t=2, p=1 as a minimum configuration for Argon2id; it costs about
50 ms on the same machine: still thousands of times slower than a fast hash for an
attacker with a stolen database, cheap enough to keep sign-in quick under load.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class ReaderArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
