"""What every page's layout needs: the main navigation for the viewer's role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from ketaclinic.accounts.permissions import Perm
from ketaclinic.core.navigation import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"nav_links": [], "member_perms": frozenset()}
    perms = [perm for perm in Perm if membership.can(perm)]
    here = request.path
    links = []
    for item in nav_for(perms):
        url = reverse(item.url_name)
        current = here == url if url == "/" else here.startswith(url)
        links.append({"label": item.label, "url": url, "current": current})
    # The viewer's permissions as their values ("treatment.administer"), for templates that show
    # a link only to those whose role may open it.
    return {"nav_links": links, "member_perms": frozenset(str(p) for p in perms)}
