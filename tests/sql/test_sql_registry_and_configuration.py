"""Configuration and the index registry, on PostgreSQL alone (no invocation succeeds here)."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import DEMO_ARN, LAMBDA_ARN, sql_error

pytestmark = pytest.mark.slow

OTHER_ARN = "arn:aws:s3vectors:eu-west-1:210987654321:bucket/other-bucket/index/docs.v2"


def test_configure_replaces_the_single_configuration(db: psycopg.Connection) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:bridge-2"
    db.execute("SELECT s3vl.configure(%s, 'eu-west-1', 60, validate => false)", [arn])
    assert db.execute(
        "SELECT lambda_arn, aws_region, timeout_seconds FROM s3vl.config"
    ).fetchall() == [(arn, "eu-west-1", 60)]


def test_configure_accepts_the_reference_named_arguments_in_any_order(
    db: psycopg.Connection,
) -> None:
    db.execute(
        "SELECT s3vl.configure(timeout_seconds => 90, aws_region => 'us-east-1', lambda_arn => %s,"
        " validate => false)",
        [LAMBDA_ARN],
    )
    assert db.execute("SELECT timeout_seconds FROM s3vl.get_config()").fetchone() == (90,)


def test_get_config_shows_the_sync_settings(db: psycopg.Connection) -> None:
    db.execute(
        "SELECT s3vl.configure(%s, 'us-east-1', validate => false,"
        " function_timeout_seconds => 45, max_attempts => 7)",
        [LAMBDA_ARN],
    )
    assert db.execute(
        "SELECT function_timeout_seconds, max_attempts FROM s3vl.get_config()"
    ).fetchone() == (45, 7)


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ("NULL", "lambda_arn"),
        ("'  '", "lambda_arn"),
        ("'arn:aws:s3:::not-a-function'", "lambda_arn"),
        (f"'{LAMBDA_ARN}', 'Mars'", "aws_region"),
        (f"'{LAMBDA_ARN}', 'eu-west-1'", "aws_region"),  # the ARN says us-east-1
        (f"'{LAMBDA_ARN}', 'us-east-1', 0", "timeout_seconds"),
        (f"'{LAMBDA_ARN}', 'us-east-1', 901", "timeout_seconds"),
    ],
)
def test_configure_refuses_bad_arguments_and_keeps_the_old_configuration(
    db: psycopg.Connection, arguments: str, argument: str
) -> None:
    error = sql_error(db, f"SELECT s3vl.configure({arguments}, validate => false)")
    assert error.sqlstate == "22023"
    assert f'"{argument}"' in error.diag.message_primary
    assert error.diag.message_hint
    assert db.execute("SELECT lambda_arn FROM s3vl.config").fetchall() == [(LAMBDA_ARN,)]


def test_configure_saves_and_warns_when_the_function_does_not_answer(
    db: psycopg.Connection,
) -> None:
    notices: list[str] = []
    db.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    assert db.execute("SELECT s3vl.configure(%s, 'us-east-1', 30)", [LAMBDA_ARN]).fetchone() == (
        True,
    )
    assert any(f"checking {LAMBDA_ARN} failed: " in n for n in notices), notices
    status = db.execute("SELECT last_validation_status FROM s3vl.get_config()").fetchone()
    assert status is not None and status[0].startswith("ERROR: ")


def test_validate_config_reports_an_unreachable_function_without_raising(
    db: psycopg.Connection,
) -> None:
    row = db.execute("SELECT * FROM s3vl.validate_config()").fetchone()
    assert row is not None
    is_valid, lambda_arn, aws_region, error_message, response_time_ms = row
    assert (is_valid, lambda_arn, aws_region) == (False, LAMBDA_ARN, "us-east-1")
    assert "invoke API failed" in error_message
    assert response_time_ms >= 0


def test_validate_config_warns_about_a_short_timeout(db: psycopg.Connection) -> None:
    db.execute("SELECT s3vl.configure(%s, 'us-east-1', 3, validate => false)", [LAMBDA_ARN])
    warnings: list[str] = []
    db.add_notice_handler(lambda diag: warnings.append(diag.message_primary or ""))
    db.execute("SELECT * FROM s3vl.validate_config()").fetchall()
    assert any("the timeout is 3 s" in w for w in warnings), warnings


def test_validate_config_without_configuration_says_so(db: psycopg.Connection) -> None:
    db.execute("DELETE FROM s3vl.config")
    assert db.execute("SELECT is_valid, error_message FROM s3vl.validate_config()").fetchone() == (
        False,
        "No Lambda configuration found: run s3vl.configure() first",
    )
    assert db.execute("SELECT * FROM s3vl.get_config()").fetchall() == []


def test_register_index_with_dimension_and_metric_records_the_arn_parts(
    db: psycopg.Connection,
) -> None:
    assert db.execute(
        "SELECT s3vl.register_index(index_name => 'docs', index_arn => %s,"
        " description => 'documents', dimension => 1024, distance_metric => 'Euclidean')",
        [OTHER_ARN],
    ).fetchone() == (True,)
    assert db.execute(
        "SELECT index_name, bucket_name, region, account_id, dimension, distance_metric, is_active"
        " FROM s3vl.get_index_info('docs')"
    ).fetchall() == [("docs", "other-bucket", "eu-west-1", "210987654321", 1024, "euclidean", True)]
    assert db.execute("SELECT s3vl.resolve_index_arn('docs')").fetchone() == (OTHER_ARN,)


def test_registering_a_name_again_updates_it(db: psycopg.Connection) -> None:
    db.execute("SELECT s3vl.deactivate_index('demo-index')")
    db.execute("SELECT s3vl.register_index('demo-index', %s, NULL, 8, 'cosine')", [OTHER_ARN])
    assert db.execute(
        "SELECT index_arn, description, dimension, is_active FROM s3vl.get_index_info('demo-index')"
    ).fetchall() == [(OTHER_ARN, "demo", 8, True)]


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        (f"NULL, '{DEMO_ARN}', NULL, 5, 'cosine'", "index_name"),
        (f"'9lives', '{DEMO_ARN}', NULL, 5, 'cosine'", "index_name"),
        (f"'x', '{DEMO_ARN}', NULL, 5, 'cosine'", "index_name"),
        (
            "'docs', 'arn:aws:s3vectors:us-east-1:123456789012:bucket/b/index/i', NULL, 5, 'cos'",
            "index_arn",
        ),
        ("'docs', NULL, NULL, 5, 'cosine'", "index_arn"),
        (f"'docs', '{DEMO_ARN}', NULL, 5, NULL", "distance_metric"),
        (f"'docs', '{DEMO_ARN}', NULL, NULL, 'cosine'", "dimension"),
        (f"'docs', '{DEMO_ARN}', NULL, 4097, 'cosine'", "dimension"),
        (f"'docs', '{DEMO_ARN}', NULL, 5, 'dot'", "distance_metric"),
    ],
)
def test_register_index_refuses_bad_arguments_and_writes_nothing(
    db: psycopg.Connection, arguments: str, argument: str
) -> None:
    error = sql_error(db, f"SELECT s3vl.register_index({arguments})")
    assert error.sqlstate == "22023"
    assert f'"{argument}"' in error.diag.message_primary
    assert error.diag.message_hint
    assert db.execute("SELECT count(*) FROM s3vl.index_registry").fetchone() == (1,)


def test_register_index_without_dimension_asks_the_bridge_and_writes_nothing_on_failure(
    db: psycopg.Connection,
) -> None:
    error = sql_error(db, "SELECT s3vl.register_index('docs', %s)", [OTHER_ARN])
    assert error.sqlstate == "58000"
    assert error.diag.message_primary.startswith("s3vl.register_index: invoking the Lambda")
    assert db.execute("SELECT count(*) FROM s3vl.index_registry").fetchone() == (1,)


def test_list_indexes_shows_active_indexes_first(db: psycopg.Connection) -> None:
    db.execute("SELECT s3vl.register_index('a-index', %s, NULL, 3, 'cosine')", [OTHER_ARN])
    db.execute("SELECT s3vl.deactivate_index('a-index')")
    assert db.execute("SELECT index_name, is_active FROM s3vl.list_indexes()").fetchall() == [
        ("demo-index", True),
        ("a-index", False),
    ]


def test_activate_deactivate_and_unregister_round_trip(db: psycopg.Connection) -> None:
    assert db.execute("SELECT s3vl.deactivate_index('demo-index')").fetchone() == (True,)
    assert sql_error(db, "SELECT s3vl.resolve_index_arn('demo-index')").sqlstate == "55000"
    assert db.execute("SELECT s3vl.activate_index('demo-index')").fetchone() == (True,)
    assert db.execute("SELECT s3vl.resolve_index_arn('demo-index')").fetchone() == (DEMO_ARN,)
    assert db.execute("SELECT s3vl.unregister_index('demo-index')").fetchone() == (True,)
    assert db.execute("SELECT count(*) FROM s3vl.list_indexes()").fetchone() == (0,)


@pytest.mark.parametrize(
    "call",
    [
        "SELECT s3vl.activate_index('nope')",
        "SELECT s3vl.deactivate_index('nope')",
        "SELECT s3vl.unregister_index('nope')",
        "SELECT * FROM s3vl.get_index_info('nope')",
        "SELECT s3vl.resolve_index_arn('nope')",
    ],
)
def test_registry_functions_report_an_unknown_name(db: psycopg.Connection, call: str) -> None:
    error = sql_error(db, call)
    assert error.sqlstate == "42704"
    assert '"nope"' in error.diag.message_primary
    assert error.diag.message_hint


def test_resolve_index_arn_returns_an_arn_unchanged_and_checks_it(db: psycopg.Connection) -> None:
    assert db.execute("SELECT s3vl.resolve_index_arn(%s)", [OTHER_ARN]).fetchone() == (OTHER_ARN,)
    assert sql_error(db, "SELECT s3vl.resolve_index_arn('arn:nope')").sqlstate == "22023"


@pytest.mark.parametrize(
    "call",
    [
        "SELECT * FROM s3vl.query_vectors(ARRAY[0.1, 0.2], index_name => %s)",
        "SELECT * FROM s3vl.query_vectors_batch(ARRAY[[0.1, 0.2]], index_name => %s)",
        "SELECT s3vl.put_vectors(%s, ARRAY['k'], ARRAY[[0.1, 0.2]]::real[])",
    ],
)
def test_index_name_may_be_the_arn_of_a_registered_index(db: psycopg.Connection, call: str) -> None:
    # The ARN finds the registration, so the wrong size is refused before any invocation.
    error = sql_error(db, call, [DEMO_ARN])
    assert error.sqlstate == "22023" and "has dimension 5" in error.diag.message_primary


@pytest.mark.parametrize(
    "call",
    [
        "SELECT * FROM s3vl.get_vectors(ARRAY['k'], index_name => 'arn:nope')",
        "SELECT * FROM s3vl.list_vectors(index_name => 'arn:nope')",
        "SELECT s3vl.delete_vectors('arn:nope', ARRAY['k'])",
    ],
)
def test_an_index_name_that_is_not_an_index_arn_is_refused_as_such(
    db: psycopg.Connection, call: str
) -> None:
    error = sql_error(db, call)
    assert error.sqlstate == "22023"
    assert 'argument "index_name" is not an S3 Vectors index ARN' in error.diag.message_primary


def test_a_table_synced_by_index_arn_is_kept_under_the_registered_name(
    db: psycopg.Connection,
) -> None:
    db.execute("CREATE TABLE arn_synced (id text PRIMARY KEY, emb real[])")
    db.execute("SELECT s3vl.sync_table('arn_synced', 'id', 'emb', %s)", [DEMO_ARN])
    db.execute("INSERT INTO arn_synced VALUES ('a', '{1,2,3,4,5}')")
    assert db.execute("SELECT index_name, pending_count FROM s3vl.sync_status()").fetchall() == [
        ("demo-index", 1)
    ]
    for index in ("demo-index", DEMO_ARN):
        keys = db.execute("SELECT key FROM s3vl.stale_keys('arn_synced', %s)", [index]).fetchall()
        assert keys == [("a",)]
