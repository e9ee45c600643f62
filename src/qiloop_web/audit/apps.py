from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "qiloop_web.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from qiloop_web.audit import guard

        connection_created.connect(guard.register, dispatch_uid="qiloop-audit-guard")
