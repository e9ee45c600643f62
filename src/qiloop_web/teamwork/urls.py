from django.urls import URLPattern

app_name = "teamwork"

urlpatterns: list[URLPattern] = []
