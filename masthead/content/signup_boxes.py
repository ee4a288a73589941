"""Sign-up boxes in an article body: content owns the block, an app above it owns what a
reader signs up for.

An editor places a sign-up box (`blocks.SignupBoxBlock`) in a body and chooses what it
offers, such as an open newsletter. Content may not import the apps that own those
offers (newsletters sits above it), so they plug in as they do on the front page: a
function registered with the Wagtail hook `masthead_signup_boxes` returns a provider
(`SignupBoxProvider`) that lists what may be offered now, finds the offers a body names
and renders their box.

Invariants:
- A box stores its offer as "<kind>:<key>" ("newsletter:12"); content never reads the
  key, the provider of that kind does. The block's migration freezes only
  `offer_choices` (this module), so content's migrations name no app above it and a
  change to that app's tables cannot break them; the choices are read when an editor's
  form is built or validated, never when a migration runs.
- What a box renders in the body is the same for every reader and holds no CSRF token:
  the body's parts are cached and shared (core.render_cache). What differs between
  readers (a form with its token, "you're subscribed") comes from the provider's own
  private endpoint, fetched by the page's script into the box.
- An offer its provider no longer finds (deleted, closed to sign-ups, its app gone)
  renders nothing, and an editor cannot save a box that offers it. Offers are found
  for a whole body in one query per kind (`resolve`), so a body with many boxes costs
  what a body with one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from django.utils.safestring import SafeString
from wagtail import hooks

from masthead.core.cache_tags import offer_tag

SIGNUP_BOXES_HOOK = "masthead_signup_boxes"
# The body's block type (content.blocks.ArticleBodyBlock).
SIGNUP_BOX_TYPE = "signup_box"
_SEPARATOR = ":"
# A box whose offer has not been looked up yet (content.blocks.SignupBoxValue).
UNRESOLVED = object()


class SignupBoxProvider(Protocol):
    """What an app registers (a hook function returns one)."""

    # The first part of the stored value: "newsletter" in "newsletter:12".
    kind: str

    def choices(self) -> list[tuple[str, str]]:
        """(key, label) of everything an editor may offer now."""
        ...

    def offers(self, keys: Iterable[str]) -> Mapping[str, Any]:
        """The offers among `keys` still on offer, by key (one query)."""
        ...

    def render(self, offer: Any, *, heading: str, text: str, box_id: str) -> SafeString:
        """The box as every reader gets it (no token, nothing about the reader)."""
        ...


def providers() -> dict[str, SignupBoxProvider]:
    found: dict[str, SignupBoxProvider] = {}
    for hook in hooks.get_hooks(SIGNUP_BOXES_HOOK):
        provider = hook()
        found.setdefault(provider.kind, provider)
    return found


def offer_value(kind: str, key: object) -> str:
    """The stored value naming an offer."""
    return f"{kind}{_SEPARATOR}{key}"


def parse_offer(value: object) -> tuple[str, str] | None:
    kind, separator, key = str(value or "").partition(_SEPARATOR)
    return (kind, key) if separator and kind and key else None


def offer_choices() -> list[tuple[str, str]]:
    """Every offer of every provider, for the editor's choice (frozen in migrations by
    name: keep it here)."""
    return [
        (offer_value(kind, key), label)
        for kind, provider in sorted(providers().items())
        for key, label in provider.choices()
    ]


def resolve(values: Iterable[object]) -> dict[str, tuple[SignupBoxProvider, Any]]:
    """The stored values still on offer, each with its provider and offer: one query
    per kind, whatever the number of boxes."""
    keys: dict[str, set[str]] = {}
    for value in values:
        parsed = parse_offer(value)
        if parsed:
            keys.setdefault(parsed[0], set()).add(parsed[1])
    if not keys:
        return {}
    known = providers()
    found: dict[str, tuple[SignupBoxProvider, Any]] = {}
    for kind, wanted in keys.items():
        provider = known.get(kind)
        if provider is None:
            continue
        for key, offer in provider.offers(wanted).items():
            found[offer_value(kind, key)] = (provider, offer)
    return found


def body_offers(raw_body: Iterable[Mapping[str, Any]]) -> list[str]:
    """The offers a body's boxes name, from its stored data (no query, no parsing of
    other blocks)."""
    offers: list[str] = []
    for item in raw_body or ():
        if item.get("type") == SIGNUP_BOX_TYPE:
            offer = (item.get("value") or {}).get("offer")
            if offer and offer not in offers:
                offers.append(offer)
    return offers


def body_cache_tags(raw_body: Iterable[Mapping[str, Any]]) -> list[str]:
    """The cache tags of the offers a body shows (core.cache_tags): the provider purges
    them when an offer changes or goes."""
    return [offer_tag(*parsed) for offer in body_offers(raw_body) if (parsed := parse_offer(offer))]
