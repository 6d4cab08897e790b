"""The plugin page's review forms."""

from django import forms

from reviews.models import MAX_COMMENT_LENGTH, MAX_RATING, MAX_REPLY_LENGTH, MIN_RATING

STAR_CHOICES = [
    (stars, f"{stars} star{'' if stars == 1 else 's'}")
    for stars in range(MAX_RATING, MIN_RATING - 1, -1)
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect, label="Your rating"
    )
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        label="Comment (optional, plain text)",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_COMMENT_LENGTH}),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_REPLY_LENGTH,
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_REPLY_LENGTH}),
    )
