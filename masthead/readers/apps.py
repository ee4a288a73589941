from django.apps import AppConfig
from django.http import HttpRequest


class ReadersConfig(AppConfig):
    name = "masthead.readers"
    label = "readers"
    verbose_name = "Readers"

    def ready(self) -> None:
        from masthead.core import person_checks

        from . import addresses, botcheck, ratelimit, signup_limits
        from .models import LegalDocument

        def attempt(request: HttpRequest) -> str | None:
            verdict = signup_limits.signup_attempt(ratelimit.limit_source(request))
            return None if verdict.allowed else verdict.reason

        def privacy_notice_url() -> str | None:
            from .services import legal_pages_in_force

            page = legal_pages_in_force().get(LegalDocument.PRIVACY.value)
            return page.url if page else None

        # Forms anyone can fill in elsewhere (an open newsletter's sign-up) use
        # registration's own bot check, limits and address rules (core.person_checks).
        person_checks.register(
            person_checks.PersonChecks(
                bot_check=botcheck.bot_check,
                attempt=attempt,
                email_normalise=addresses.email_normalise,
                client_ip=ratelimit.client_ip,
                privacy_notice_url=privacy_notice_url,
            )
        )
