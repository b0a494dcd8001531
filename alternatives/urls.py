from django.urls import path

from alternatives import views

app_name = "alternatives"
# The fixed pages come before <slug>; their names are reserved slugs (models.RESERVED_SLUGS).
urlpatterns = [
    path("", views.index, name="index"),
    path("compare/", views.compare, name="compare"),
    path("how-to-switch/", views.how_to_switch, name="how_to_switch"),
    path("suggest/", views.suggest, name="suggest"),
    path("suggest/thanks/", views.suggest_thanks, name="suggest_thanks"),
    path("<slug:slug>/", views.detail, name="detail"),
]
