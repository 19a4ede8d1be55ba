from django.urls import URLPattern, URLResolver

app_name = "treatment"

urlpatterns: list[URLPattern | URLResolver] = []
