from django.apps import AppConfig


class NotifyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from cases import hooks
        from cases.webhooks.outbox import WebhookFailing
        from cases.workflows.base import Notify, NotifyFollower
        from notify import checks  # noqa: F401 - registers the deploy checks
        from notify.services import notify_follower_hook, notify_hook, webhook_failing_hook

        hooks.register(Notify, notify_hook)
        hooks.register(NotifyFollower, notify_follower_hook)
        hooks.register(WebhookFailing, webhook_failing_hook)
        from cases.api.extensions import add_case_resource
        from notify.api import RESOURCE

        add_case_resource(RESOURCE)
