"""``/account/api-tokens/``: the page (a web page, signed in as usual; not the API itself)."""

from django.urls import path

from ketaclinic.api import views

app_name = "api_tokens"
urlpatterns = [path("", views.tokens_page, name="tokens")]
