from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "govhall.web"
    label = "web"
