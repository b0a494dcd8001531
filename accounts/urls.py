from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    # allauth's own pages live under accounts/ too (login/, signup/, 2fa/, ...); it has no page at the root.
    path("accounts/", views.index, name="index"),
]
