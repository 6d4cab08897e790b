"""SessionOnly: views for signed-in people refuse API tokens, in the envelope."""

from django.contrib.auth import get_user_model
from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from naap.api import success
from naap.permissions import SessionOnly


class PeopleOnlyUnworded(APIView):
    permission_classes = [IsAuthenticated, SessionOnly]

    def get(self, request):
        return success({"ok": True})


class PeopleOnly(PeopleOnlyUnworded):
    token_refusal_message = "Sign in to manage this; API tokens cannot."


def call(view, *, token=None, signed_in=True):
    request = APIRequestFactory().get("/api/v1/t/people-only")
    if signed_in:
        force_authenticate(request, user=get_user_model()(username="alice"), token=token)
    response = view.as_view()(request)
    response.render()
    return response


def test_a_token_authenticated_request_is_403_forbidden_in_the_views_words():
    response = call(PeopleOnly, token=object())
    assert response.status_code == 403
    assert response.data == {
        "success": False,
        "error": {"code": "FORBIDDEN", "message": "Sign in to manage this; API tokens cannot."},
    }


def test_a_view_that_words_no_refusal_gets_the_general_one():
    response = call(PeopleOnlyUnworded, token=object())
    assert response.status_code == 403
    assert response.data["error"] == {
        "code": "FORBIDDEN",
        "message": "Sign in to do this; API tokens cannot.",
    }


def test_a_session_authenticated_request_is_allowed():
    response = call(PeopleOnly)
    assert response.status_code == 200
    assert response.data == {"success": True, "data": {"ok": True}}


def test_an_anonymous_request_is_still_401_from_is_authenticated():
    response = call(PeopleOnly, signed_in=False)
    assert response.status_code == 401
    assert response.data["error"]["code"] == "UNAUTHORIZED"
