from django.contrib.admin.apps import AdminConfig


class GovhallAdminConfig(AdminConfig):
    """Django admin as govhall's manage pages (see admin_site.GovhallAdminSite)."""

    default_site = "govhall.web.admin_site.GovhallAdminSite"
