"""SARIF output validates against the official SARIF 2.1.0 JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"


def validate(document: dict) -> None:
    assert SCHEMA.is_file(), f"{SCHEMA} missing: run `make test` (it installs the Node test tools)"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(document)


def test_examples_validate(cli):
    run = cli("check", "--format", "sarif", "examples/", cwd=ROOT)
    assert run.code in (0, 1), run.stderr
    document = json.loads(run.stdout)
    validate(document)
    assert document["runs"][0]["results"], "the examples should produce findings"


def test_rules_and_results_content(tmp_path, cli):
    (tmp_path / "m.sql").write_text(
        "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY,\n"
        "  customer_id bigint REFERENCES customers (id), placed_at timestamp);\n"
    )
    document = json.loads(cli("check", "--format", "sarif", cwd=tmp_path).stdout)
    validate(document)
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["PG302"]["name"] == "timestamp-without-time-zone"
    assert rules["PG302"]["defaultConfiguration"]["level"] == "warning"
    assert rules["PG302"]["helpUri"].endswith("/PG302.md")
    assert rules["PG302"]["shortDescription"]["text"]
    assert rules["PG302"]["fullDescription"]["text"].startswith("Flags columns of type")
    results = {result["ruleId"]: result for result in run["results"]}
    timestamp = results["PG302"]
    location = timestamp["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "m.sql"
    assert location["region"] == {"startLine": 3, "startColumn": 59, "endLine": 3, "endColumn": 68}
    assert "orders.placed_at" in timestamp["message"]["text"]
    replacement = timestamp["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "timestamptz"
    fk = results["PG201"]
    assert "orders(customer_id) -> customers(id)" in fk["message"]["text"]
    assert fk["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_empty_results_still_validate(tmp_path, cli):
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    run = cli("check", "--format", "sarif", cwd=tmp_path)
    document = json.loads(run.stdout)
    validate(document)
    assert document["runs"][0]["results"] == []
