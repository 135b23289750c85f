"""A bar chart's figures stay whole at programme scale: at 320 CSS px a five-digit
figure ("14737" approved applications of a theme, 100 000-case programme) wrapped
inside its 3 rem column ("1473" over "7"); at 1366 px a seven-digit one overflowed."""

from pathlib import Path

import pytest
from django.template.loader import render_to_string

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("width", [320, 1366])
def test_a_long_figure_stays_on_one_line(browser, width):
    rows = [
        {
            "label": "Työyhteisön ja toimintakulttuurin kehittäminen",
            "value": value,
            "width_class": "w-100",
        }
        for value in (14737, 2318416, 7)
    ]
    chart = render_to_string(
        "sparring/includes/bar_chart.html",
        {
            "id": "theme",
            "title": "Teemat",
            "rows": rows,
            "label_header": "Teema",
            "value_header": "N",
        },
    )
    css = "".join((ROOT / "static/css" / name).read_text() for name in ("tokens.css", "site.css"))
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_content(
        f"<html><head><style>{css}</style></head><body><main>{chart}</main></body></html>"
    )
    shapes = page.eval_on_selector_all(
        ".bar-value",
        """els => els.map(e => ({text: e.textContent, lines: Math.round(e.getBoundingClientRect().height
              / parseFloat(getComputedStyle(e).lineHeight)), fits: e.scrollWidth <= e.clientWidth + 1,
              right: e.getBoundingClientRect().right}))""",
    )
    context.close()
    for shape in shapes:
        assert shape["lines"] == 1, shape
        assert shape["fits"], shape
        assert shape["right"] <= width, shape
