"""My account > API tokens: create one's own token (behind the step-up, as other account changes)
and revoke one's own tokens. The secret is shown once, on the page that created it."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.services import REAUTH_REFUSED, reauthenticate
from ketaclinic.api.forms import TokenCreateForm
from ketaclinic.api.models import ApiToken
from ketaclinic.api.tokens import api_token_create, api_token_revoke, tokens_of


def tokens_page(request: ClinicRequest) -> HttpResponse:
    membership = membership_of(request)
    form = TokenCreateForm(request.POST if request.POST.get("action") == "create" else None)
    secret = ""
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = ApiToken.objects.filter(
            pk=request.POST.get("token", "0") if request.POST.get("token", "").isdigit() else 0,
            user_id=membership.user_id,
        ).first()
        if token is None:
            raise Http404
        api_token_revoke(by=membership, token=token)
    elif request.method == "POST" and form.is_valid():
        if reauthenticate(
            membership=membership,
            password=form.cleaned_data["your_password"],
            token=form.cleaned_data["your_code"],
            purpose="api.token_create",
        ):
            new = run_service(
                form,
                lambda: api_token_create(
                    by=membership,
                    membership=membership,
                    name=form.cleaned_data["name"],
                    days=form.cleaned_data["days"],
                ),
            )
            if new is not None:
                secret = new.secret
                form = TokenCreateForm()
        else:
            form.add_error("your_password", f"{REAUTH_REFUSED} No token was created.")
    context = {
        "form": form,
        "secret": secret,
        "tokens": tokens_of(user_id=membership.user_id),
        "clinic": membership.clinic,
    }
    return render(request, "api/tokens.html", context)
