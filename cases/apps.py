from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from config import checks  # noqa: F401 - registers the project's deploy checks
        from config.schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self)
