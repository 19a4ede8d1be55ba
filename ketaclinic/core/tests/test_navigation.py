"""The main navigation agrees with the views: for every role, every link opens (200), and every
page without parameters that the role may open is either in its nav or reached from a page that is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ketaclinic.core.navigation import NAV, SUBPAGES

ROLES = ["prescriber", "nurse", "front_desk", "inventory_manager", "researcher", "clinic_admin"]
# Pages that are not places to go: the sign-in steps, signing out, switching clinic.
NOT_DESTINATIONS = {
    "accounts:login",
    "accounts:verify",
    "accounts:enrol",
    "accounts:logout",
    "accounts:switch_clinic",
}
_NAV_RE = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
_HREF_RE = re.compile(r'href="([^"]+)"')


def _plain_routes(patterns: Sequence[object], namespace: str = "") -> list[str]:
    """Names of the URL patterns that take no parameter (so one GET can try them)."""
    names: list[str] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry.pattern, "converters", None):
                continue
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else ns or namespace
            names += _plain_routes(entry.url_patterns, full)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.converters:
            names.append(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


# The REST API (``api:``) answers JSON to a token, not pages to a browser: not a destination.
PLAIN = [
    n
    for n in _plain_routes(get_resolver().url_patterns)
    if n not in NOT_DESTINATIONS and not n.startswith("api:")
]


def _nav_hrefs(html: str) -> list[str]:
    match = _NAV_RE.search(html)
    assert match, "the page has no main navigation"
    return _HREF_RE.findall(match.group(1))


def test_every_page_without_parameters_is_either_in_the_nav_or_a_declared_subpage() -> None:
    in_nav = {item.url_name for item in NAV}
    unplaced = [n for n in PLAIN if n not in in_nav and n not in SUBPAGES]
    assert not unplaced, f"add these to core/navigation.py NAV or SUBPAGES: {unplaced}"


@pytest.mark.parametrize("role", ROLES)
def test_each_nav_link_opens_and_each_page_the_role_may_open_is_reachable(
    role: str, request: pytest.FixtureRequest, login
) -> None:
    client = login(request.getfixturevalue(role))
    home = client.get(reverse("home"))
    assert home.status_code == 200
    links = _nav_hrefs(home.content.decode())
    for href in links:
        assert client.get(href).status_code == 200, f"{role}: the nav links to {href}, refused"
    opens = {name for name in PLAIN if client.get(reverse(name)).status_code == 200}
    for name in opens:
        target = reverse(SUBPAGES.get(name, name))
        assert target in links, f"{role} may open {name} but the nav does not lead to it"
    # Every link shown corresponds to a page that opens: no link is a dead end.
    assert set(links) <= {reverse(n) for n in opens}


def test_researcher_and_inventory_manager_see_no_patients_and_front_desk_no_exposure(
    researcher, inventory_manager, front_desk, login
) -> None:
    patients, exposure = reverse("patients:list"), reverse("pharmacology:index")
    for member in (researcher, inventory_manager):
        client = login(member)
        assert patients not in _nav_hrefs(client.get("/").content.decode())
        assert client.get(patients).status_code == 403
    client = login(front_desk)
    links = _nav_hrefs(client.get("/").content.decode())
    assert patients in links
    assert exposure not in links
    assert client.get(exposure).status_code == 403


def test_the_current_page_is_marked_in_the_nav(nurse, login) -> None:
    html = login(nurse).get(reverse("patients:list")).content.decode()
    nav = _NAV_RE.search(html)
    assert nav is not None
    assert f'href="{reverse("patients:list")}" aria-current="page"' in nav.group(1)
