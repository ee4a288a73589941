"""Rigs: what the tests and the benchmarks both build or start, kept out of test code.

Invariant: nothing here is imported by the product (masthead/) and nothing here imports
test code; tests (masthead/*/tests, tests/) and benchmarks (bench/) import from here.
- `rigs.newsroom`: a small newsroom (home, sections, articles, images, authors).
- `rigs.registration`: a registration form's data with a solved bot check; legal pages.
- `rigs.nginx`: nginx with `proxy_cache` in front of an app server, as a CDN would be;
  also the nginx main block and start/stop that `rigs.edge` runs its site in.
- `rigs.edge`: the shipped edge caches (deploy/nginx, deploy/varnish) running for real.
"""
