"""Template filters of the product."""

from django import template

register = template.Library()


@register.filter
def css_string(value) -> str:
    """Escape text for use inside a double-quoted CSS string (e.g. @page content)."""
    text = str(value)
    return "".join(f"\\{ord(ch):x} " if ch in '\\"\n\r<>' else ch for ch in text)
