"""A "go back to" address a request carries is followed only to a path on this site."""

from __future__ import annotations

import pytest

from masthead.core.http import internal_path_or_empty, is_internal_path


@pytest.mark.parametrize(
    "url", ["/", "/culture/album/", "/culture/album/?page=2", "/culture/album/#comments"]
)
def test_a_path_on_this_site_is_followed(url):
    assert is_internal_path(url)
    assert internal_path_or_empty(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "culture/album/",  # relative: where it lands depends on the page
        "//evil.example/",  # scheme-relative: another site
        "/\\evil.example/",  # browsers read a backslash as a slash
        "https://evil.example/",
        "javascript:alert(1)",
        "/a\nb",
        "/a\x00b",
        "/a\x7fb",
        "/\tevil.example",
    ],
)
def test_anything_else_is_not(url):
    assert not is_internal_path(url)
    assert internal_path_or_empty(url) == ""
