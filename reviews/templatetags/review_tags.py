"""The reviews section of a plugin's page (rendered by the registry's detail template)."""

from django import template

from naap.errors import Forbidden
from registry.charts import rating_bars_svg, rating_label, stars_svg
from reviews import selectors, services
from reviews.forms import ReplyForm, ReviewForm

register = template.Library()
REVIEWS_PER_PAGE = 10
MAX_PAGE = 100_000


def _page_number(request) -> int:
    try:
        number = int(request.GET.get("reviews", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def _refusal(user, package) -> str:
    """Why the person may not rate the package ("" when they may)."""
    if not user.is_authenticated:
        return "Sign in to rate this plugin."
    try:
        services.check_may_review(actor=user, package=package)
    except Forbidden as refusal:
        return refusal.message
    return ""


@register.inclusion_tag("reviews/plugin_reviews.html", takes_context=True)
def plugin_reviews(context, package):
    request = context["request"]
    user = request.user
    page = selectors.review_page(package, page=_page_number(request), size=REVIEWS_PER_PAGE)
    mine = selectors.own_review(user=user, package=package)
    is_member = user.is_authenticated and package.publisher.memberships.filter(user=user).exists()
    initial = {"rating": mine.rating, "comment": mine.comment} if mine else None
    return {
        "request": request,
        "package": package,
        "label": rating_label(package.rating_average, package.rating_count),
        "stars": stars_svg(package.rating_average, package.rating_count, ident="detail"),
        "bars": rating_bars_svg(
            package.rating_distribution or [],
            title=f"How people rated {package.display_name}",
        ),
        "page": page,
        "mine": mine,
        "refusal": "" if mine else _refusal(user, package),
        "form": ReviewForm(initial=initial),
        "reply_form": ReplyForm() if is_member else None,
        "csrf_token": context.get("csrf_token"),
    }
