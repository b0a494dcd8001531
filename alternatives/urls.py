from django.urls import path

from alternatives import views

app_name = "alternatives"
urlpatterns = [
    path("", views.index, name="index"),
]
