"""Helpers shared by the resource-layer tests."""
from __future__ import annotations

import uuid


def unique(prefix="res"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


class Recorder:
    """Records (method, url) of every request the client sends (it changes nothing)."""

    def __init__(self, client):
        self.requests = []
        self.bodies = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request, **kwargs):
        self.requests.append((request.method, request.url))
        body = request.body
        self.bodies.append(body if isinstance(body, (bytes, str)) else None)

    def clear(self):
        del self.requests[:]
        del self.bodies[:]

    def count(self, method=None, fragment=""):
        return sum(1 for m, url in self.requests if (method is None or m == method) and fragment in url)
