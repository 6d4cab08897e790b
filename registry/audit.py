"""The audit log's vocabulary: every action a service records, named once.

Writers pass these members to registry.services.record_audit_event, which refuses any other
string; readers (the staff dashboard, the admin's filter) count and show them by the same
names. Values are stored as they are, so a member's value never changes once released.
"""

from django.db import models


class AuditAction(models.TextChoices):
    PUBLISHER_CREATE = "publisher.create", "Publisher created"
    PUBLISHER_VERIFY = "publisher.verify", "Publisher verified"
    TOKEN_CREATE = "token.create", "Token created"
    TOKEN_REVOKE = "token.revoke", "Token revoked"
    VERSION_PUBLISH = "version.publish", "Version published"
    VERSION_APPROVE = "version.approve", "Version approved"
    VERSION_REJECT = "version.reject", "Version rejected"
    VERSION_DEPRECATE = "version.deprecate", "Version deprecated"
    VERSION_YANK = "version.yank", "Version yanked"
    DEPLOYMENT_ROLLBACK = "deployment.rollback", "Deployment rolled back"
    PACKAGE_LIST = "package.list", "Package listed"
    PACKAGE_UNLIST = "package.unlist", "Package unlisted"
    PACKAGE_DEPRECATE = "package.deprecate", "Package deprecated"
    PACKAGE_FEATURED = "package.featured", "Package featured flag set"
    PACKAGE_IS_CORE = "package.is_core", "Package core flag set"
    PLUGIN_INSTALL = "plugin.install", "Plugin installed"
    PLUGIN_UNINSTALL = "plugin.uninstall", "Plugin uninstalled"
    PLUGIN_CONFIGURE = "plugin.configure", "Plugin configured"
    PLUGIN_PREFERENCES = "plugin.preferences", "Plugin preferences changed"
    PLUGIN_STORAGE_SET = "plugin.storage.set", "Plugin storage value set"
    PLUGIN_STORAGE_DELETE = "plugin.storage.delete", "Plugin storage value deleted"
