from django.urls import reverse


def test_sign_in_page_renders(client, db):
    response = client.get(reverse("accounts:sign-in"))
    assert response.status_code == 200
    assert b"Sign in to qiloop" in response.content


def test_universe_builds(universe):
    assert universe.practice.parent == universe.pcn
