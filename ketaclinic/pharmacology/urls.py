from django.urls import URLPattern, URLResolver

app_name = "pharmacology"

urlpatterns: list[URLPattern | URLResolver] = []
