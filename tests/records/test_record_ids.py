"""Record ids are whole uuids: an id with a trailing newline never becomes a second record."""
import pytest

from server.errors import NotFound, Unprocessable
from server.records.types import RECORD_TYPES, check_client_id, parse_record_id

UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize("value", [UUID + "\n", UUID + " ", " " + UUID, UUID + "\x00", UUID[:-1]])
def test_a_client_id_that_is_not_exactly_a_uuid_is_refused(value):
    with pytest.raises(Unprocessable) as error:
        check_client_id(value)
    assert error.value.details[0].field == "/id"


@pytest.mark.parametrize("value", [UUID + "\n", UUID + "%0A", UUID.upper() + "\n"])
def test_a_path_id_that_is_not_exactly_a_uuid_is_not_found(value):
    with pytest.raises(NotFound):
        parse_record_id(value, RECORD_TYPES["case"])


def test_a_create_with_a_trailing_newline_in_the_id_stores_nothing(backend_client):
    response = backend_client.post("/api/v1/cases", json={"id": UUID + "\n", "data": {}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "/id"
    assert backend_client.get("/api/v1/cases").get_json()["meta"]["total"] == 0
