from django.urls import path

from tally import views

app_name = "tally"
urlpatterns = [
    path("how-we-count/", views.how_we_count, name="how_we_count"),
]
