"""`agentgen import openapi`: operations of a real OpenAPI document (the Swagger Petstore's)
become tools of a spec that validates and generates; bad inputs are one line, exit 2."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.import_cli import in_project, run
from tests.packages import import_package

ROOT = Path(__file__).resolve().parent.parent
PETSTORE = ROOT / "tests" / "petstore_openapi.yaml"

PET_TOOLS = '''\
# OpenAPI operation addPet: POST https://petstore3.swagger.io/api/v3/pet
# params: body (JSON request body)
[tools.add_pet]
description = "Add a new pet to the store."
params.body = { "$ref" = "#/$defs/Pet", description = "Create a new pet in the store" }
returns = { "$ref" = "#/$defs/Pet" }

# OpenAPI operation findPetsByStatus: GET https://petstore3.swagger.io/api/v3/pet/findByStatus
# params: status (query)
[tools.find_pets_by_status]
description = """
Finds Pets by status.

Multiple status values can be provided with comma separated strings."""
returns = { type = "array", items = { "$ref" = "#/$defs/Pet" } }

[tools.find_pets_by_status.params.status]
type = "string"
enum = ["available", "pending", "sold"]
default = "available"
description = "Status values that need to be considered for filter"

# OpenAPI operation deletePet: DELETE https://petstore3.swagger.io/api/v3/pet/{petId}
# params: api_key (header), petId (path)
[tools.delete_pet]
description = """
Deletes a pet.

Delete a pet."""
params.api_key = { type = ["string", "null"] }
params.petId = { type = "integer", format = "int64", description = "Pet id to delete" }

[types.Pet]
type = "object"
required = ["name", "photoUrls"]
properties.id = { type = "integer", format = "int64", example = 10 }
properties.name = { type = "string", example = "doggie" }
properties.category = { "$ref" = "#/$defs/Category" }
properties.photoUrls = { type = "array", items = { type = "string" } }
properties.tags = { type = "array", items = { "$ref" = "#/$defs/Tag" } }

[types.Pet.properties.status]
type = "string"
enum = ["available", "pending", "sold"]
description = "pet status in the store"

[types.Category]
type = "object"
properties.id = { type = "integer", format = "int64", example = 1 }
properties.name = { type = "string", example = "Dogs" }

[types.Tag]
type = "object"
properties.id = { type = "integer", format = "int64" }
properties.name = { type = "string" }
'''
NEW_SPEC = f"""\
# Operations of Swagger Petstore - OpenAPI 3.0, imported by `agentgen import openapi`.

[agent]
name = "petstore"
description = "Swagger Petstore - OpenAPI 3.0"

{PET_TOOLS}"""
OPERATIONS = (
    "addPet, deletePet, findPetsByStatus, getInventory, getPetById, loginUser, placeOrder, "
    "updatePet, updatePetWithForm, uploadFile"
)


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    in_project(tmp_path, monkeypatch)
    shutil.copy(PETSTORE, tmp_path / "petstore.yaml")
    return tmp_path


def _import(*args: str) -> tuple[int, str, str]:
    result = run("import", "openapi", *args)
    return result.exit_code, result.stdout, result.stderr


def test_petstore_operations_become_a_spec_that_validates_and_generates(project: Path) -> None:
    operations = ["--operation", "addPet", "--operation", "findPetsByStatus"]
    status, out, err = _import("petstore.yaml", "--agent", "petstore", *operations,
                               "--operation", "deletePet")  # fmt: skip
    assert (status, out) == (0, "")
    assert (
        err == "created specs/petstore.toml: 3 tools (add_pet, find_pets_by_status, delete_pet)\n"
    )
    assert (project / "specs" / "petstore.toml").read_text(encoding="utf-8") == NEW_SPEC
    assert run("validate").exit_code == 0
    assert run("generate", "--out", "out").exit_code == 0
    package = import_package(project / "out", "petstore")
    try:
        tools = package.tools
        pet = {"name": "doggie", "photoUrls": [], "category": {"id": 1, "name": "Dogs"}}
        call = tools.AddPet.model_validate({"intent": "add_pet", "body": pet})
        assert (call.body.photo_urls, call.body.category.name) == ([], "Dogs")
        assert call.body.model_dump(by_alias=True, exclude_none=True) == pet
        with pytest.raises(ValidationError, match="name"):
            tools.AddPet.model_validate({"intent": "add_pet", "body": {"photoUrls": []}})
        assert tools.FindPetsByStatus(intent="find_pets_by_status").status == "available"
        delete = tools.DeletePet.model_validate({"intent": "delete_pet", "petId": 7})
        assert (delete.pet_id, delete.api_key) == (7, None)
        assert package.events.AddPetResult.model_fields["result"].annotation is tools.Pet
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "petstore"]:
            del sys.modules[name]


def test_an_unknown_operation_lists_the_documents_and_writes_nothing(project: Path) -> None:
    status, out, err = _import("petstore.yaml", "--operation", "addPet", "--operation", "addPets")
    assert (status, out) == (2, "")
    assert err == (
        "error: unknown operation 'addPets' in petstore.yaml (did you mean 'addPet'?); "
        f"its operations are: {OPERATIONS}\n"
    )
    assert not (project / "specs").exists()


def test_appending_keeps_the_spec_and_names_a_different_type_apart(project: Path) -> None:
    spec = project / "shop.toml"
    before = b'[agent]\nname = "shop"\n\n[types.Tag]\ntype = "string"\n'
    spec.write_bytes(before)
    status, _, err = _import("petstore.yaml", "--spec", "shop.toml", "--operation", "addPet")
    assert (status, err) == (0, "appended to shop.toml: 1 tool (add_pet)\n")
    text = spec.read_bytes()
    added = b"\n# OpenAPI operation addPet: POST https://petstore3.swagger.io/api/v3/pet\n"
    assert text.startswith(before + added)
    assert b'properties.tags = { type = "array", items = { "$ref" = "#/$defs/Tag2" } }' in text
    assert b"\n[types.Tag2]\n" in text
    assert run("validate", "shop.toml").exit_code == 0


def test_an_equal_type_the_spec_has_is_shared(project: Path) -> None:
    spec = project / "shop.toml"
    tag = '[types.Tag]\ntype = "object"\nproperties.id = { type = "integer", format = "int64" }\n'
    spec.write_text(f'[agent]\nname = "shop"\n\n{tag}properties.name = {{ type = "string" }}\n')
    assert _import("petstore.yaml", "--spec", "shop.toml", "--operation", "addPet")[0] == 0
    text = spec.read_text(encoding="utf-8")
    assert text.count("[types.Tag") == 1 and '"#/$defs/Tag" }' in text


def test_a_body_that_is_not_json_is_a_warning_and_the_rest_is_written(project: Path) -> None:
    status, out, _ = _import("petstore.yaml", "--agent", "petstore", "--operation", "uploadFile")
    assert status == 0
    assert out == (
        "specs/petstore.toml:9:8: warning[AG090]: tool 'upload_file': left out its request body: "
        "application/octet-stream, not JSON\n"
    )
    text = (project / "specs" / "petstore.toml").read_text(encoding="utf-8")
    assert "# params: petId (path), additionalMetadata (query)\n" in text
    assert 'returns = { "$ref" = "#/$defs/ApiResponse" }' in text
    assert run("validate").exit_code == 0


def test_openapi_3_0_keywords_and_ref_d_request_bodies_become_the_specs(project: Path) -> None:
    (project / "orders.yaml").write_text(ORDERS_30, encoding="utf-8")
    status, out, err = _import("orders.yaml", "--operation", "createOrder")
    assert (status, out, err) == (0, "", "created specs/orders_api.toml: 1 tool (create_order)\n")
    text = (project / "specs" / "orders_api.toml").read_text(encoding="utf-8")
    assert text.endswith(ORDER_TOOL)
    assert run("validate").exit_code == 0
    assert run("generate", "--out", "out").exit_code == 0


def test_openapi_3_1_json_with_a_ref_to_a_file_beside_it(project: Path) -> None:
    (project / "api").mkdir()
    (project / "api" / "notes.json").write_text(json.dumps(NOTES_31), encoding="utf-8")
    (project / "api" / "schemas.yaml").write_text(NOTE_SCHEMA, encoding="utf-8")
    status, _, err = _import("api/notes.json", "--operation", "addNote", "--spec", "n.toml")
    assert (status, err) == (0, "created n.toml: 1 tool (add_note)\n")
    text = (project / "n.toml").read_text(encoding="utf-8")
    assert 'params.body = { "$ref" = "#/$defs/Note" }' in text
    assert (
        "[types.Note]\n" in text and 'properties.text = { type = "string", minLength = 1 }' in text
    )
    assert 'properties.pinned = { type = ["boolean", "null"] }' in text
    assert run("validate", "n.toml").exit_code == 0


NOT_OPENAPI_3 = [
    ('{"swagger": "2.0"}', "old.json is Swagger 2.0: only OpenAPI 3.0 and 3.1 can be imported"),
    ('{"info": {}}', "old.json is not an OpenAPI 3.0 or 3.1 document (no 'openapi: 3.x')"),
    ("[1, 2", "old.json is not JSON or YAML: Expecting ',' delimiter: line 1 column 6 (char 5)"),
]


@pytest.mark.parametrize(("content", "message"), NOT_OPENAPI_3)
def test_a_document_that_is_not_openapi_3_is_refused(
    project: Path, content: str, message: str
) -> None:
    (project / "old.json").write_text(content, encoding="utf-8")
    assert _import("old.json", "--operation", "x") == (2, "", f"error: {message}\n")


def test_a_missing_document_is_one_line(project: Path) -> None:
    assert _import("nowhere.yaml", "--operation", "x") == (
        2,
        "",
        "error: cannot read nowhere.yaml: No such file or directory\n",
    )


def test_operation_is_required(project: Path) -> None:
    status, _, err = _import("petstore.yaml")
    assert status == 2 and err.endswith("Error: Missing option '--operation'.\n")


ORDERS_30 = """\
openapi: 3.0.3
info: {title: Orders API, version: "1"}
paths:
  /orders:
    post:
      operationId: createOrder
      summary: Create an order.
      parameters:
        - {name: X-Request-Id, in: header, schema: {type: string}}
      requestBody: {$ref: '#/components/requestBodies/NewOrder'}
      responses:
        '201':
          description: created
          content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}
components:
  requestBodies:
    NewOrder:
      required: true
      content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}
  schemas:
    Order:
      type: object
      required: [quantity]
      properties:
        quantity: {type: integer, minimum: 0, exclusiveMinimum: true}
        coupon: {type: string, nullable: true}
        placed: {type: string, format: date-time, example: 2024-05-01T10:00:00Z}
"""
ORDER_TOOL = """\
# OpenAPI operation createOrder: POST /orders
# params: X-Request-Id (header), body (JSON request body)
[tools.create_order]
description = "Create an order."
params.X-Request-Id = { type = ["string", "null"] }
params.body = { "$ref" = "#/$defs/Order" }
returns = { "$ref" = "#/$defs/Order" }

[types.Order]
type = "object"
required = ["quantity"]
properties.quantity = { type = "integer", exclusiveMinimum = 0 }
properties.coupon = { type = ["string", "null"] }
properties.placed = { type = "string", format = "date-time", example = "2024-05-01T10:00:00+00:00" }
"""
NOTES_31 = {
    "openapi": "3.1.0",
    "info": {"title": "Notes", "version": "1"},
    "paths": {
        "/notes": {
            "post": {
                "operationId": "addNote",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "schemas.yaml#/Note"}}},
                },
                "responses": {"204": {"description": "added"}},
            }
        }
    },
}
NOTE_SCHEMA = """\
Note:
  type: object
  required: [text]
  properties:
    text: {type: string, minLength: 1}
    pinned: {type: [boolean, "null"]}
"""


def test_tools_that_would_make_the_spec_invalid_print_why_exit_1_and_write_nothing(
    project: Path,
) -> None:
    (project / "search.yaml").write_text(SEARCH_30, encoding="utf-8")
    status, out, err = _import("search.yaml", "--operation", "search", "--spec", "s.toml")
    assert status == 1
    assert out == (
        "s.toml:11:8: error[AG023]: param 'intent' collides with the intent's discriminator field\n"
        "    hint: rename the param, such as 'intent_name'\n"
    )
    assert err == "the imported tools would make s.toml invalid: nothing was written\n"
    assert not (project / "s.toml").exists()


SEARCH_30 = """\
openapi: 3.0.3
info: {title: Search, version: "1"}
paths:
  /search:
    get:
      operationId: search
      parameters:
        - {name: intent, in: query, required: true, schema: {type: string}}
      responses: {'200': {description: found}}
"""
