from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "govhall.queueing"
    label = "queueing"
