"""``ketaclinic api token create --user EMAIL_OR_USERNAME --clinic CODE [--name NAME] [--days N]``,
``ketaclinic api token list --user ...`` and ``ketaclinic api token revoke --user ... --id N``.

For the server's operator, acting for a user (the audit event names that user's membership). The
secret is printed once, on standard output only; it is never stored or logged."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from ketaclinic.accounts.models import Membership, User
from ketaclinic.api.models import ApiToken
from ketaclinic.api.tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    api_token_create,
    api_token_revoke,
    tokens_of,
)


class Command(BaseCommand):
    help = "API tokens: `token create|list|revoke --user EMAIL [--clinic CODE] [--id N]`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["token"])
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--user", required=True, help="the user's email address or username")
        parser.add_argument("--clinic", help="create: the clinic code the token acts in")
        parser.add_argument("--name", default="API client", help="create: what will use it")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"create: 1 to {MAX_DAYS} days"
        )
        parser.add_argument("--id", type=int, help="revoke: the token's number (see list)")

    def handle(self, *args: Any, **options: Any) -> None:
        who = options["user"]
        user = User.objects.filter(Q(email__iexact=who) | Q(username=who)).first()
        if user is None:
            raise CommandError(f"--user: no user with email or username {who!r}")
        if options["action"] == "list":
            for t in tokens_of(user_id=user.pk):
                state = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
                self.stdout.write(
                    f"{t.pk}\t{t.prefix}...\t{t.membership.clinic.code}\t{t.name}\t{state}"
                )
            return
        if options["action"] == "revoke":
            token = (
                ApiToken.objects.select_related("membership")
                .filter(pk=options["id"], user=user)
                .first()
            )
            if token is None:
                raise CommandError(f"--id: {user.username} has no token {options['id']}")
            api_token_revoke(by=token.membership, token=token)
            self.stdout.write(f"token {token.pk} revoked")
            return
        membership = (
            Membership.objects.select_related("clinic", "user")
            .filter(user=user, clinic__code=options["clinic"] or "")
            .first()
        )
        if membership is None:
            codes = ", ".join(
                Membership.objects.filter(user=user).values_list("clinic__code", flat=True)
            )
            raise CommandError(f"--clinic: {user.username} works at: {codes or 'no clinic'}")
        try:
            new = api_token_create(
                by=membership, membership=membership, name=options["name"], days=options["days"]
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"--{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(
            f"token {new.token.pk} for {user.username} at {membership.clinic.code}, "
            f"expires {new.token.expires_at:%Y-%m-%d}. Shown once; keep it secret:"
        )
        self.stdout.write(new.secret)
