from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from cases import hooks
        from cases.workflows.base import CaseClosed, RequestPayment
        from payments import checks, services  # noqa: F401 - checks registers the deploy checks

        hooks.register(RequestPayment, services.request_payment_hook)
        hooks.register(CaseClosed, services.case_closed_hook)
        hooks.register_message_values(services.message_values)
        from cases.api.extensions import add_case_resource
        from payments.api import RESOURCE

        add_case_resource(RESOURCE)
