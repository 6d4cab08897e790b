"""The write path of publishing: publishers, publishing, moderation and a version's life.

Every caller (API, CLI through the API, admin, `make dev`'s demo data) goes through these
functions. They take keyword-only arguments, raise naap.errors, and never speak HTTP. Reads
live in registry.selectors; deployments move through registry.deployments.
"""

from publishing.services.authorization import authorize_package_change
from publishing.services.lifecycle import (
    deprecate_package,
    deprecate_version,
    rollback_deployment,
    set_package_flag,
    set_package_listing,
    yank_version,
)
from publishing.services.moderation import approve_version, move_files_to_review, reject_version
from publishing.services.publish import PublishResult, publish_version
from publishing.services.publish_inputs import parse_manifest
from publishing.services.publishers import (
    create_api_token,
    create_publisher,
    revoke_api_token,
    verify_publisher,
)

__all__ = [
    "PublishResult",
    "approve_version",
    "authorize_package_change",
    "create_api_token",
    "create_publisher",
    "deprecate_package",
    "deprecate_version",
    "move_files_to_review",
    "parse_manifest",
    "publish_version",
    "reject_version",
    "revoke_api_token",
    "rollback_deployment",
    "set_package_flag",
    "set_package_listing",
    "verify_publisher",
    "yank_version",
]
