"""The audit log's vocabulary: every action a service records, named once.

Writers pass these members to registry.services.record_audit_event, which refuses any other
string; readers (the staff dashboard) count them by the same names. Values are stored as they
are, so a member's value never changes once released.
"""

from enum import StrEnum


class AuditAction(StrEnum):
    PUBLISHER_CREATE = "publisher.create"
    PUBLISHER_VERIFY = "publisher.verify"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DELETE = "webhook.delete"
    VERSION_PUBLISH = "version.publish"
    VERSION_APPROVE = "version.approve"
    VERSION_REJECT = "version.reject"
    VERSION_DEPRECATE = "version.deprecate"
    VERSION_YANK = "version.yank"
    DEPLOYMENT_ROLLBACK = "deployment.rollback"
    DEPLOYMENT_DEPLOY = "deployment.deploy"
    # Staged rollouts (registry.rollouts), one block.
    ROLLOUT_START = "rollout.start"
    ROLLOUT_ADVANCE = "rollout.advance"
    ROLLOUT_PROMOTE = "rollout.promote"
    ROLLOUT_ABORT = "rollout.abort"
    ROLLOUT_PAUSE = "rollout.pause"
    ROLLOUT_RESUME = "rollout.resume"
    ROLLOUT_SUPERSEDE = "rollout.supersede"
    PACKAGE_LIST = "package.list"
    PACKAGE_UNLIST = "package.unlist"
    PACKAGE_DEPRECATE = "package.deprecate"
    PACKAGE_FEATURED = "package.featured"
    PACKAGE_IS_CORE = "package.is_core"
    PACKAGE_ROUTES_GRANT = "package.routes_grant"
    PACKAGE_ORIGINS_GRANT = "package.origins_grant"
    # Preview testers (installs.testers): the flag, and who tests it.
    PACKAGE_PREVIEW = "package.preview"
    PACKAGE_TESTERS = "package.testers"
    PLUGIN_INSTALL = "plugin.install"
    PLUGIN_UNINSTALL = "plugin.uninstall"
    PLUGIN_CONFIGURE = "plugin.configure"
    PLUGIN_PREFERENCES = "plugin.preferences"
    PLUGIN_STORAGE_SET = "plugin.storage.set"
    PLUGIN_STORAGE_DELETE = "plugin.storage.delete"
    # Ratings and reviews (reviews.services), one block.
    REVIEW_CREATE = "review.create"
    REVIEW_EDIT = "review.edit"
    REVIEW_DELETE = "review.delete"
    REVIEW_HIDE = "review.hide"
    REVIEW_UNHIDE = "review.unhide"
    REVIEW_REPLY = "review.reply"
