from fastapi.testclient import TestClient


def test_healthz_is_ok_when_database_reachable(client: TestClient):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_docs_list_the_endpoints_when_served(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert "/api/auth/register" in spec["paths"] and "/api/me" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_home_page_is_served_when_frontend_present(client: TestClient):
    response = client.get("/")
    assert response.status_code == 200 and "Extra Portion" in response.text


def test_about_page_shows_data_attribution_when_served(client: TestClient):
    response = client.get("/about.html")
    assert response.status_code == 200
    assert "Contains OS data © Crown copyright" in response.text
    assert "Royal Mail data" in response.text and "Open Government Licence" in response.text
