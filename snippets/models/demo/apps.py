from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    label = "demo"
    verbose_name = "Demo shop"
    # schema.sql declares "id INTEGER PRIMARY KEY" everywhere.
    default_auto_field = "django.db.models.AutoField"
