"""Which edge route serves a path: decided here, once, for the gate, both edges and the CDN.

"Covers" is NGINX's prefix location: a plain string prefix, so `/api` covers `/apix` as well
as `/api/v2` (tests/nginx/test_route_choice.py asks a real nginx). That is the meaning the
answer must have, because on the docker-host edge the answer predicts what NGINX will do
by itself: the Cache-Control map of $uri and the check that no API route answers under an
immutable prefix rely on it. The Kubernetes edge (Gateway API and Ingress match whole path
elements) never predicts: every path classified here becomes a rule of its own with the
backend chosen here, so both edges send each classified path to the same workload.

A leaf of the config layer (it imports only `edge`), because the gate needs it before
there is a plan.
"""

from __future__ import annotations

from collections.abc import Iterable

from .edge import Route


def covers(prefix: str, path: str) -> bool:
    """True when NGINX's prefix location `prefix` matches the request path `path`."""
    return path.startswith(prefix)


def serving_route(routes: Iterable[Route], path: str) -> Route | None:
    """The longest route covering `path` (NGINX's longest-prefix rule), or None."""
    return max((r for r in routes if covers(r.path, path)), key=lambda r: len(r.path), default=None)
