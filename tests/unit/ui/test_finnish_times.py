"""Times shown as "N months ago" (``naturaltime``, the background-work page) read well in
Finnish: Django's own Finnish catalogue of ``django.contrib.humanize`` writes some past
and future units without the space after the number ("4kuukautta, 3 viikkoa sitten",
"1päivä sitten") or with a space before the comma ("2 kuukautta , 1 viikko"); the
product's catalogue (``locale/fi``) overrides those entries."""

from datetime import timedelta

import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone, translation


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(days=140), "4\xa0kuukautta, 2\xa0viikkoa sitten"),
        (timedelta(days=31), "1\xa0kuukausi sitten"),
        (timedelta(days=1, hours=1), "1\xa0päivä, 1\xa0tunti sitten"),
        (timedelta(days=-62, hours=-1), "2\xa0kuukautta nykyhetkestä"),
    ],
)
def test_naturaltime_in_finnish_has_a_space_after_the_number(delta, expected):
    now = timezone.now()
    with translation.override("fi"):
        shown = naturaltime(now - delta)
    assert shown == expected
