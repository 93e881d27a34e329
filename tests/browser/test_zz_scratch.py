import pytest
from residents.models import Role
from ..factories import make_member, make_residence
from .test_journeys import sign_in
pytestmark = pytest.mark.django_db(transaction=True)

@pytest.mark.parametrize("web", ["desktop"], indirect=True)
def test_scratch(web):
    r = make_residence()
    m = make_member(r, Role.OWNER)
    sign_in(web, m.user.email, "nope-nope")
    web.wait_for_load_state()
    print(web.locator("main").inner_html())
    web.goto("/accounts/logout/")
    print(web.url)
