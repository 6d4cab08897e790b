"""The staff dashboard blocks on the admin index: the marketplace's numbers and the rollouts
in progress."""

from django import template

from registry.rollout_selectors import next_step, open_rollouts
from registry.selectors import staff_dashboard

register = template.Library()


@register.inclusion_tag("admin/naap/dashboard.html")
def naap_dashboard() -> dict:
    return staff_dashboard()


@register.inclusion_tag("admin/naap/rollouts_dashboard.html")
def naap_rollouts() -> dict:
    return {
        "rollouts": [
            {"rollout": rollout, "next_step": next_step(rollout)} for rollout in open_rollouts()
        ]
    }
