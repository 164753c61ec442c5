"""What every HTTP route takes and gives, and the router that picks one by method and path."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class WebRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class WebResponse:
    status: int
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> WebResponse:
        return cls(status, json.dumps(payload), {"Content-Type": "application/json"})

    @classmethod
    def text(cls, status: int, message: str) -> WebResponse:
        return cls(status, message, {"Content-Type": "text/plain; charset=utf-8"})


Route = Callable[[WebRequest], WebResponse]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []

    def add(self, method: str, pattern: str, route: Route) -> None:
        """Register a route; `pattern` is a regex for the whole path, with named groups."""
        self._routes.append((method, re.compile(pattern), route))

    def resolve(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, path params, whether the path exists for another method)."""
        other_method = False
        for route_method, pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if route_method == method:
                return route, match.groupdict(), False
            other_method = True
        return None, {}, other_method
