from django.urls import path

from alternatives import views

app_name = "alternatives_api"
urlpatterns = [
    path("api/alternatives", views.api_index, name="index"),
]
