from django.urls import path

from events import views

app_name = "events_api"
urlpatterns = [
    path("api/events", views.api_index, name="index"),
]
