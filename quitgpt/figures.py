"""Published figures that one app shows about another's rows, without importing it.

An app that publishes a figure registers a provider in its `AppConfig.ready()` (as for `/healthz`
checks); the app that shows it asks by name. E.g. the directory (alternatives) shows per entry how many
counted supporters switched to it, which the campaign tools publish through the tally:

    figures.provide("alternatives.switched", lambda: {"lumo": 12})   # campaign/apps.py
    figures.get("alternatives.switched")                            # alternatives/serializers.py

Depends on no app (see the import contracts in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_providers: dict[str, Callable[[], dict[str, Any]]] = {}


def provide(name: str, provider: Callable[[], dict[str, Any]]) -> None:
    _providers[name] = provider


def get(name: str) -> dict[str, Any]:
    """The figures published under `name`, or {} when no app provides them."""
    provider = _providers.get(name)
    return provider() if provider is not None else {}
