from django.urls import path

from tally import views

app_name = "tally_api"
urlpatterns = [
    path("api/tally", views.api_tally, name="tally"),
]
