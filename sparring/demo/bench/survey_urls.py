"""The benchmark server's URL map: the product's, and the baseline view of ``bench_survey``.

Loaded only when ``config.settings.bench`` runs with ``BENCH_ROOT_URLCONF`` set to
this module; no other server has the baseline's address.
"""

from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

from .survey import minimal_insert

urlpatterns = [path("bench/minimal/", minimal_insert, name="bench_minimal"), *product_urlpatterns]
