"""Small pieces of catalog pages: a package's stars."""

from django import template

from registry.charts import stars_svg

register = template.Library()


@register.simple_tag
def rating_stars(package):
    """The package's average as five stars, read aloud as "4.3 out of 5, 12 ratings"."""
    return stars_svg(package.rating_average, package.rating_count, ident=package.name)
