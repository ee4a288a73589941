"""The personal-data registry: what each app holds about a reader, to export and erase.

Each app registers, from its own `privacy` module, a section: an exporter (user ->
JSON-ready data), an optional eraser (user -> counts of what it removed or unlinked) and
the models it answers for. `CoreConfig.ready()` imports each of our apps' `privacy`
module (`autodiscover()`, as Wagtail does with `wagtail_hooks`; only apps named
`masthead.*`, see core.discovery), so a new app joins the
export and the erasure without touching core or the readers app. What an export looks
like to the reader, and the erasure flow around the collectors (audit row, sessions,
deleting the user), belong to the readers app; core keeps only the machinery.

Invariants:
- core imports no app: sections and exemptions arrive by registration only.
- Every model with a ForeignKey or OneToOneField to the user model (hidden many-to-many
  tables included) is either covered by a registered section or registered as exempt
  with the reason; `uncovered_models()` names the ones that are neither, and a test
  keeps it empty.
- Erasers run inside the caller's transaction, in registration order, except that one
  registered `last=True` runs after all the others: the account's own addresses, so
  that any section may still read them (the outbox's emails are found by address).
  They remove personal data, or unlink rows the newsroom must keep (ledgers) from the
  person.
- An export is built only from registered exporters; what a section returns must be
  JSON-serialisable with DjangoJSONEncoder (dates, times, decimals, UUIDs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import models

from .discovery import DiscoveredRegistry

Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], dict[str, int]]
ModelRef = str | type[models.Model]
F = TypeVar("F", bound=Callable[..., Any])

MODULE_NAME = "privacy"


@dataclass
class Section:
    """One app's part of the export and erasure, under a name unique in the registry."""

    name: str
    exporter: Exporter | None = None
    eraser: Eraser | None = None
    covers: set[str] = field(default_factory=set)
    erase_last: bool = False


class Registry(DiscoveredRegistry):
    """Sections by name, in registration order, and exemptions. Use the module functions."""

    MODULE_NAME = MODULE_NAME

    def __init__(self) -> None:
        super().__init__()
        self._sections: dict[str, Section] = {}
        self._exempt: dict[str, str] = {}

    def _section(self, name: str) -> Section:
        return self._sections.setdefault(name, Section(name=name))

    def register_exporter(
        self, name: str, exporter: Exporter, *, covers: Iterable[ModelRef] = ()
    ) -> None:
        section = self._section(name)
        section.exporter = exporter
        section.covers.update(_label(m) for m in covers)

    def register_eraser(self, name: str, eraser: Eraser, *, last: bool = False) -> None:
        section = self._section(name)
        section.eraser = eraser
        section.erase_last = last

    def register_exempt(self, model: ModelRef, reason: str) -> None:
        self._exempt[_label(model)] = reason

    def sections(self) -> list[Section]:
        self.discover()
        return list(self._sections.values())

    def exempt(self) -> dict[str, str]:
        self.discover()
        return dict(self._exempt)


def _label(model: ModelRef) -> str:
    return model if isinstance(model, str) else model._meta.label


_registry = Registry()


# -- registration ------------------------------------------------------------------------
def register_exporter(name: str, exporter: Exporter, *, covers: Iterable[ModelRef] = ()) -> None:
    """Add section `name` to the export: `exporter(user)` returns that section's data.

    `covers` names the models (classes or "app_label.Model") whose rows about the reader
    the section accounts for, both in the export and in its eraser.
    """
    _registry.register_exporter(name, exporter, covers=covers)


def register_eraser(name: str, eraser: Eraser, *, last: bool = False) -> None:
    """Add section `name` to the erasure: `eraser(user)` removes or unlinks, with counts.

    `last`: run after every other section (for what the others find the reader by).
    """
    _registry.register_eraser(name, eraser, last=last)


def register_exempt(model: ModelRef, reason: str) -> None:
    """Declare that `model` points at the user but holds no reader data, and why."""
    _registry.register_exempt(model, reason)


def exporter(name: str, *, covers: Iterable[ModelRef] = ()) -> Callable[[F], F]:
    """Decorator form of `register_exporter`."""

    def decorate(function: F) -> F:
        register_exporter(name, function, covers=covers)
        return function

    return decorate


def eraser(name: str, *, last: bool = False) -> Callable[[F], F]:
    """Decorator form of `register_eraser`."""

    def decorate(function: F) -> F:
        register_eraser(name, function, last=last)
        return function

    return decorate


def autodiscover() -> None:
    """Import each of our apps' `privacy` module (CoreConfig.ready() calls it)."""
    _registry.discover()


# -- reading the registry -----------------------------------------------------------------
def sections() -> list[Section]:
    return _registry.sections()


def exempt_models() -> dict[str, str]:
    """Model label -> the reason it is left out of the export and the erasure."""
    return _registry.exempt()


def covered_models() -> set[str]:
    return {label for section in sections() for label in section.covers}


def models_pointing_at_user() -> set[str]:
    """Labels of every installed model declaring a FK or one-to-one to the user model,
    including the hidden tables behind many-to-many fields (a future "follows" or
    "attendees" field is caught too)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields():
            # Fields a model inherits from a concrete parent are the parent's to cover.
            if (
                f.concrete
                and f.is_relation
                and (f.many_to_one or f.one_to_one)
                and f.related_model is user_model
                and f.model is model
                and not getattr(f, "parent_link", False)
            ):
                found.add(model._meta.label)
    return found


def uncovered_models() -> set[str]:
    """Models pointing at the user that are neither registered nor exempt (keep empty)."""
    return models_pointing_at_user() - covered_models() - set(exempt_models())


# -- the collectors -----------------------------------------------------------------------
def export_for(user: Any) -> dict[str, Any]:
    """Every registered section's data about `user`, by section name, in order."""
    return {
        section.name: section.exporter(user)
        for section in sections()
        if section.exporter is not None
    }


def erase_for(user: Any) -> dict[str, dict[str, int]]:
    """Run every registered eraser for `user` (those registered `last` after the rest);
    the caller holds the transaction."""
    erasers = [(s.erase_last, s.name, s.eraser) for s in sections() if s.eraser is not None]
    # A stable sort: registration order, with the `last` ones moved to the end.
    return {name: erase(user) for _last, name, erase in sorted(erasers, key=lambda e: e[0])}
