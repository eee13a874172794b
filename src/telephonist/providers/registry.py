"""Providers by name: the built-in simulator is registered exactly like any other provider.

``create_app(settings, providers=...)`` takes a :class:`Providers`; without one it builds the
default registry, whose only entry is the simulated carrier. A factory receives the
:class:`ProviderContext` (settings, database, clock) and answers a
:class:`~telephonist.providers.base.Provider`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telephonist.providers.base import Provider

if TYPE_CHECKING:
    from telephonist.clock import Clock
    from telephonist.settings import Settings
    from telephonist.storage.database import Database


@dataclass(frozen=True)
class ProviderContext:
    settings: Settings
    db: Database
    clock: Clock


Factory = Callable[[ProviderContext], Provider]


class Providers:
    """Named provider factories, and the providers built from them for one process."""

    def __init__(self, factories: dict[str, Factory] | None = None, default: str = "") -> None:
        self._factories: dict[str, Factory] = dict(factories or {})
        self._built: dict[str, Provider] = {}
        self.default = default or next(iter(self._factories), "")

    def register(self, name: str, factory: Factory) -> None:
        self._factories[name] = factory
        if not self.default:
            self.default = name

    def build(self, context: ProviderContext) -> None:
        self._built = {name: factory(context) for name, factory in self._factories.items()}

    def get(self, name: str | None = None) -> Provider:
        """The provider called ``name`` (the default one without a name)."""
        return self._built[name or self.default]

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._built.values())

    def __contains__(self, name: object) -> bool:
        return name in self._built


def default_providers() -> Providers:
    """The registry ``create_app`` uses when given none: the simulated carrier."""
    from telephonist.providers.simulator.carrier import Simulator

    return Providers({"simulator": Simulator.from_context}, default="simulator")
