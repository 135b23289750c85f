"""Template context every page needs: the product name and who is logged in."""

from django.conf import settings
from django.http import HttpRequest


def product(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    context = {
        # base.html shows product_name: Django's auth views put the host's name into
        # site_name (RequestSite), which made "127.0.0.1:8141" the login page's brand.
        "product_name": settings.SITE_NAME,
        "site_name": settings.SITE_NAME,
        "programme_contact_email": settings.PROGRAMME_CONTACT_EMAIL,
    }
    if user is not None and user.is_authenticated:
        consultant = getattr(user, "consultant", None) if user.role == "consultant" else None
        context["current_role"] = user.get_role_display() if user.role else ""
        context["current_affiliation"] = (
            user.organisation.display_name(request.LANGUAGE_CODE)
            if user.organisation_id
            else (consultant.supplier.display_name() if consultant else "")
        )
    return context
