"""Where a form goes "next": only a path on this site (a fuzz finding of issue 15)."""

import pytest


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/coordinator/queue/?page=2", True),
        ("/cases/5/", True),
        ("//evil.example/", False),
        ("https://evil.example/x", False),
        ("javascript:alert(1)", False),
        ("queue", False),  # a bare word: redirect() would take it for a view name
        ("L\U000c8aac", False),
        ("/\\evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_next_is_only_a_path_on_this_site(rf, target, kept):
    from sparring.formtools import local_url

    request = rf.post("/")
    assert local_url(request, target, "/default/") == (target if kept else "/default/")
