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


def test_undecodable_body_gets_422_naming_the_body_when_posted(client: TestClient):
    response = client.post(
        "/api/auth/register",
        content=b"\x0bE\xdd\x86\xff\x03\xffk^",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_unknown_path_is_still_404_when_requested(client: TestClient):
    assert client.get("/api/nothing-here").status_code == 404


def test_wrong_method_on_api_path_is_405_with_allow_when_called(client: TestClient):
    response = client.patch("/api/diners")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert client.get("/api/auth/register").status_code == 405
