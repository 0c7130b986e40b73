"""Every list reads its page the same way: the same bounds, refused in the same words (parsed once)."""
import pytest


@pytest.fixture
def history_url(client):
    case = client.post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    return f"/api/v1/cases/{case['id']}/history"


@pytest.mark.parametrize("url", ["/api/v1/cases", "/api/v1/users", "/api/v1/metadata/versions", "/api/v1/audit_logs",
                                 "history"])
@pytest.mark.parametrize("query,name,limit", [("page=0", "page", "2,147,483,647"),
                                              ("page=2147483648", "page", "2,147,483,647"),
                                              ("per_page=0", "per_page", "9,223,372,036,854,775,807")])
def test_a_page_out_of_bounds_is_refused_alike_on_every_list(client, history_url, url, query, name, limit):
    response = client.get(f"{history_url if url == 'history' else url}?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "BAD_PARAMETER"
    assert error["details"] == [{"field": name, "code": "range", "message": f"Must be between 1 and {limit}."}]


@pytest.mark.parametrize("url", ["/api/v1/cases", "/api/v1/users", "history"])
def test_per_page_is_capped_by_the_deployment_on_every_list(app, client, history_url, url):
    app.config["MAX_PER_PAGE"] = 2
    response = client.get(f"{history_url if url == 'history' else url}?per_page=500&page=3")
    assert response.status_code == 200
    assert (response.get_json()["meta"]["page"], response.get_json()["meta"]["per_page"]) == (3, 2)
