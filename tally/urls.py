from django.urls import path

from tally import audit_views, log_views, views

app_name = "tally"
urlpatterns = [
    path("how-we-count/", views.how_we_count, name="how_we_count"),
    path("verify/", log_views.verify_page, name="verify"),
    path("audit/<str:token>/", audit_views.audit_confirm, name="audit_confirm"),
]
