from django.urls import URLPattern, URLResolver

app_name = "scales"

urlpatterns: list[URLPattern | URLResolver] = []
