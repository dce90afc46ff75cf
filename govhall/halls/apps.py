from django.apps import AppConfig


class HallsConfig(AppConfig):
    name = "govhall.halls"
    label = "halls"
