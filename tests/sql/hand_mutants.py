"""Hand-made mutants of the SQL package's guards (issue 14): `make mutate-sql`, and `make mutate`.

No mutation tool mutates PL/pgSQL, so each mutant below is a subtle bug planted by hand in the
sync delivery, the privilege checks or the vector checks: one text of one file of sql/parts
replaced (it must occur there exactly once; tests/sql/test_sql_mutants.py checks that in every
test run), and the tests that must catch it. The runner runs those tests once as they are
(they must pass), then once per mutant in a fresh pytest with S3VL_SQL_MUTANT=NAME, which
installs the mutated SQL on the tests' own scratch databases (tests/support/sql_mutant.py):
at least one test must fail. Exits 1 if a mutant survives or cannot be tried.

    python -m tests.sql.hand_mutants [NAME ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.support.sql_mutant import ROOT, VARIABLE, Mutant

MUTANTS = (
    # -- sync delivery (81_sync_delivery.sql) ------------------------------------------------
    Mutant(
        "one successful send marks every pending change of the index done",
        "81_sync_delivery.sql",
        "    WHERE o.id = ANY (s3vl._change_ids(changes));",
        "    WHERE o.index_name = _settle_done.index_name AND o.done_at IS NULL"
        " AND o.dead_at IS NULL;",
        (
            "security/test_sync_delivery.py::test_a_refusal_that_names_no_vector_is_isolated_by_sending_each_change_alone",
            "security/test_sync_delivery.py::test_a_change_the_bridge_refuses_is_dead_after_max_attempts_alone_and_the_queue_flows",
        ),
    ),
    Mutant(
        "a success answer that names no keys marks every key sent done",
        "81_sync_delivery.sql",
        "            v_named := s3vl._strings(v_result -> CASE operation WHEN 'put' THEN"
        " 'written_keys' ELSE 'deleted_keys' END);",
        "            v_named := coalesce(pg_catalog.nullif(s3vl._strings(v_result -> CASE operation"
        " WHEN 'put' THEN 'written_keys' ELSE 'deleted_keys' END), '{}'), ARRAY(SELECT e.c ->>"
        " 'key' FROM pg_catalog.jsonb_array_elements(v_part) AS e(c)));",
        (
            "security/test_sync_delivery.py::test_a_forged_success_answer_marks_nothing_done",
            "security/test_sync_delivery.py::test_an_answer_that_does_not_name_the_keys_written_leaves_them_pending_until_one_does",
        ),
    ),
    Mutant(
        "a send written in part marks every key sent done",
        "81_sync_delivery.sql",
        "                v_partly := s3vl._partly_done(v_envelope);\n                PERFORM"
        " s3vl._raise_lambda_error('flush', v_envelope);",
        "                v_partly := ARRAY(SELECT e.c ->> 'key' FROM"
        " pg_catalog.jsonb_array_elements(v_part) AS e(c));\n                PERFORM"
        " s3vl._raise_lambda_error('flush', v_envelope);",
        (
            "security/test_sync_delivery.py::test_a_send_written_in_part_marks_done_exactly_the_keys_written",
        ),
    ),
    Mutant(
        "the doubt window is ignored: keys in doubt are claimed again",
        "81_sync_delivery.sql",
        "          AND o.id <> ALL (passed) AND o.key <> ALL (v_doubt)\n",
        "          AND o.id <> ALL (passed)\n",
        (
            "security/test_sync_delivery.py::test_only_a_send_of_unknown_outcome_puts_its_keys_in_doubt",
            "security/test_sync_delivery.py::test_a_timed_out_write_that_lands_after_a_newer_one_is_overwritten_once_its_window_passes",
        ),
    ),
    Mutant(
        "an invocation that failed or timed out is not in doubt",
        "81_sync_delivery.sql",
        "THEN 'in_doubt' ELSE 'not_sent' END;",
        "THEN 'failed' ELSE 'not_sent' END;",
        (
            "security/test_sync_delivery.py::test_a_timed_out_write_that_lands_after_a_newer_one_is_overwritten_once_its_window_passes",
        ),
    ),
    Mutant(
        "S3 Vectors answering unavailable or retryable is not in doubt",
        "81_sync_delivery.sql",
        "ELSIF v_type ~ '(unavailable|timeout|timedout|partialwrite)' OR v_retryable = 'true' THEN",
        "ELSIF v_type ~ '(timedout|partialwrite)' THEN",
        (
            "security/test_sync_delivery.py::test_only_a_send_of_unknown_outcome_puts_its_keys_in_doubt",
        ),
    ),
    Mutant(
        "a change dies one attempt after max_attempts",
        "81_sync_delivery.sql",
        "WHEN counted AND o.attempts + 1 >= max_attempts THEN",
        "WHEN counted AND o.attempts + 1 > max_attempts THEN",
        (
            "security/test_sync_delivery.py::test_a_change_the_bridge_refuses_is_dead_after_max_attempts_alone_and_the_queue_flows",
        ),
    ),
    Mutant(
        "a change never sent (refused before invoking) counts as an attempt",
        "81_sync_delivery.sql",
        "s3vl._settle_failed(v_part, v_error, v_kind <> 'not_sent', max_attempts, v_until);",
        "s3vl._settle_failed(v_part, v_error, true, max_attempts, v_until);",
        (
            "security/test_endpoint_redirect.py::test_a_writer_cannot_make_flush_report_changes_sent_that_were_not",
        ),
    ),
    Mutant(
        "flush also takes the changes recorded after it started",
        "81_sync_delivery.sql",
        "          AND o.id > after_id AND o.id <= horizon\n",
        "          AND o.id > after_id\n",
        (
            "security/test_sync_delivery.py::test_flush_under_steady_writes_takes_only_what_was_pending_when_it_started",
        ),
    ),
    Mutant(
        "retry_dead revives the dead changes of every index",
        "81_sync_delivery.sql",
        "    WHERE o.index_name = retry_dead.index_name AND o.dead_at IS NOT NULL",
        "    WHERE o.dead_at IS NOT NULL",
        (
            "security/test_sync_delivery.py::test_retry_dead_and_discard_dead_touch_only_the_dead_changes_of_their_index",
        ),
    ),
    Mutant(
        "discard_dead also gives up pending changes",
        "81_sync_delivery.sql",
        "    WHERE o.index_name = discard_dead.index_name AND o.dead_at IS NOT NULL",
        "    WHERE o.index_name = discard_dead.index_name",
        (
            "security/test_sync_delivery.py::test_retry_dead_and_discard_dead_touch_only_the_dead_changes_of_their_index",
        ),
    ),
    # -- sync capture (80_sync_capture.sql) --------------------------------------------------
    Mutant(
        "sync's own null-key check removed",
        "80_sync_capture.sql",
        '    IF p_key IS NULL THEN\n        RAISE EXCEPTION \'s3vl sync of %: column "%" is NULL',
        '    IF false THEN\n        RAISE EXCEPTION \'s3vl sync of %: column "%" is NULL',
        (
            "write_sync/test_sync.py::test_a_row_the_index_would_refuse_is_refused_before_anything_is_recorded",
        ),
    ),
    Mutant(
        "a capture trigger may name another table's sync",
        "80_sync_capture.sql",
        "IF NOT FOUND OR v_source.source_table <> trigger_table THEN",
        "IF NOT FOUND THEN",
        (
            "security/test_definer_rights.py::test_a_capture_trigger_naming_another_tables_sync_records_nothing",
        ),
    ),
    # -- privilege checks (80_sync_capture.sql, 10_private_helpers.sql, 90_privileges.sql) ---
    Mutant(
        "the column-privilege check asks about the login (session_user), not the role",
        "80_sync_capture.sql",
        "WHERE NOT pg_catalog.has_column_privilege(current_user, source_table, c.name, 'SELECT')",
        "WHERE NOT pg_catalog.has_column_privilege(session_user, source_table, c.name, 'SELECT')",
        (
            "security/test_column_privileges.py::test_a_column_the_role_switched_to_may_not_read_is_refused",
        ),
    ),
    Mutant(
        "the column-privilege check is skipped",
        "80_sync_capture.sql",
        "    IF FOUND THEN\n        RAISE EXCEPTION 's3vl.%: role % may not read column",
        "    IF false THEN\n        RAISE EXCEPTION 's3vl.%: role % may not read column",
        (
            "security/test_column_privileges.py::test_trigger_privilege_alone_does_not_export_a_column_the_role_cannot_read",
            "security/test_column_privileges.py::test_stale_keys_and_reconcile_need_select_on_every_synced_column",
        ),
    ),
    Mutant(
        "the TRIGGER check asks about the login (session_user), not the role",
        "80_sync_capture.sql",
        "has_table_privilege(current_user, source_table, 'TRIGGER')",
        "has_table_privilege(session_user, source_table, 'TRIGGER')",
        (
            "security/test_column_privileges.py::test_without_trigger_privilege_sync_is_refused_for_the_calling_role",
        ),
    ),
    Mutant(
        "unsync_table skips the owner check",
        "80_sync_capture.sql",
        "IF privilege = 'OWNER' AND NOT",
        "IF privilege = 'owner' AND NOT",
        ("security/test_column_privileges.py::test_unsync_needs_the_tables_owner",),
    ),
    Mutant(
        "a synced row near the float32 limit is checked as a real[]",
        "80_sync_capture.sql",
        "       AND (3.4e38::double precision < ANY (v_numbers) OR -3.4e38::double precision >"
        " ANY (v_numbers)) IS FALSE THEN",
        "       AND v_numbers IS NOT NULL THEN",
        (
            "write_sync/test_sync.py::test_each_row_the_index_would_refuse_is_refused_naming_its_problem",
        ),
    ),
    Mutant(
        "a real[] row near the float32 limit skips the JSON checks",
        "80_sync_capture.sql",
        "           AND (real '3.4e38' < ANY (p_vector) OR real '-3.4e38' > ANY (p_vector))"
        " IS FALSE THEN",
        "           THEN",
        (
            "write_sync/test_sync.py::test_each_row_the_index_would_refuse_is_refused_naming_its_problem",
        ),
    ),
    Mutant(
        "a synced real[] row loses its negative zeros",
        "80_sync_capture.sql",
        "            v_vector := p_vector;",
        "            v_vector := pg_catalog.array_replace(p_vector, real '0', real '0');",
        (
            "write_sync/test_sync.py::test_extreme_float32_values_sync_exactly_whatever_the_session_prints",
        ),
    ),
    Mutant(
        "every type is built in",
        "80_sync_capture.sql",
        "        SELECT t.typnamespace = 'pg_catalog'::regnamespace\n",
        "        SELECT true\n",
        (
            "security/test_definer_rights.py::test_sync_refuses_a_column_of_a_user_made_type",
            "security/test_definer_rights.py::test_a_column_changed_to_a_user_type_after_sync_stops_the_capture_trigger",
        ),
    ),
    Mutant(
        "_check_endpoint accepts any session while some superuser exists",
        "10_private_helpers.sql",
        "WHERE r.rolname = session_user AND r.rolsuper) THEN",
        "WHERE r.rolname = session_user OR r.rolsuper) THEN",
        ("security/test_endpoint_redirect.py::test_a_reader_cannot_redirect_query_vectors",),
    ),
    Mutant(
        "_check_endpoint accepts any endpoint once the database sets one",
        "10_private_helpers.sql",
        "          AND c.item = 'aws_lambda.endpoint_override=' || v_endpoint\n",
        "",
        ("security/test_endpoint_redirect.py::test_a_reader_cannot_redirect_query_vectors",),
    ),
    Mutant(
        "_check_endpoint accepts a role's own setting in the database",
        "10_private_helpers.sql",
        "WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0\n",
        "WHERE d.datname = pg_catalog.current_database()\n",
        ("security/test_endpoint_redirect.py::test_a_role_default_in_this_database_is_refused",),
    ),
    Mutant(
        "a reader may retry and discard dead changes",
        "90_privileges.sql",
        "    s3vl.index_rows(text, text[])\nTO s3vl_reader;",
        "    s3vl.index_rows(text, text[]),\n    s3vl.retry_dead(text, text[]),\n"
        "    s3vl.discard_dead(text, text[])\nTO s3vl_reader;",
        ("security/test_sync_delivery.py::test_a_reader_may_not_retry_or_discard_dead_changes",),
    ),
    # -- vector checks (10_private_helpers.sql, 40_query.sql, 70_write.sql) -------------------
    Mutant(
        "a query vector longer than the index's dimension goes out",
        "10_private_helpers.sql",
        "ELSIF dimension IS NOT NULL AND pg_catalog.cardinality(vector) <> dimension THEN",
        "ELSIF dimension IS NOT NULL AND pg_catalog.cardinality(vector) < dimension THEN",
        ("sql/test_sql_bad_input.py::test_a_bad_argument_is_refused_before_invoking",),
    ),
    Mutant(
        "a vector to write longer than the index's dimension goes out",
        "70_write.sql",
        "(8, 'data', CASE WHEN f.data_length <> coalesce(",
        "(8, 'data', CASE WHEN f.data_length < coalesce(",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "a query vector with NaN or infinite elements goes out",
        "10_private_helpers.sql",
        "WHERE e.x IS NULL OR e.x IN ('NaN', 'Infinity', '-Infinity')) THEN",
        "WHERE e.x IS NULL) THEN",
        ("sql/test_sql_bad_input.py::test_a_bad_argument_is_refused_before_invoking",),
    ),
    Mutant(
        "a batch row after the first with NaN or infinite elements goes out",
        "40_query.sql",
        "    WHERE e.x IS NULL OR e.x IN ('NaN', 'Infinity', '-Infinity')\n    ORDER BY e.n",
        "    WHERE e.x IS NULL\n    ORDER BY e.n",
        (
            "security/test_sql_bad_input_checks.py::test_query_vectors_batch_checks_every_row_before_invoking",
        ),
    ),
    Mutant(
        "a vector to write (jsonb form) may hold strings or booleans",
        "70_write.sql",
        """'$[*] ? (@.type() != "number")'""",
        """'$[*] ? (@.type() == "null")'""",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    # The arrays form's rows are checked as real[]: NaN passes a check for the infinities.
    Mutant(
        "a vector to write may hold NaN",
        "70_write.sql",
        "v_some_not_finite := (v_max < ANY (vectors) OR -v_max > ANY (vectors)) IS NOT FALSE;",
        "v_some_not_finite := (real 'Infinity' = ANY (vectors)"
        " OR real '-Infinity' = ANY (vectors)) IS NOT FALSE;",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "a row holding NaN is looked for in the whole array: the first row is blamed",
        "70_write.sql",
        "AND (v_max < ANY (vectors[i.r:i.r]) OR -v_max > ANY (vectors[i.r:i.r])) IS NOT FALSE",
        "AND (v_max < ANY (vectors) OR -v_max > ANY (vectors)) IS NOT FALSE",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "a row of zeros goes out to a cosine index",
        "70_write.sql",
        "THEN coalesce(real '0' = ALL (vectors[i.r:i.r]), false)",
        "THEN false",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "encode's line breaks stay in a row's base64, which the bridge refuses",
        "70_write.sql",
        "E'\\n', '')",
        "E'\\r', '')",
        (
            "write_sync/test_put_and_delete.py::test_a_slice_of_rows_with_other_lower_bounds_is_stored_row_by_row",
            "write_sync/test_put_and_delete.py::test_a_thousand_vectors_of_4096_dimensions_go_through_under_6_mb_per_invocation",
        ),
    ),
    Mutant(
        "a row goes out in binary with the rows after it",
        "70_write.sql",
        "s3vl._vector_data(vectors[i.r:i.r])",
        "s3vl._vector_data(vectors[i.r:])",
        (
            "write_sync/test_put_and_delete.py::test_extreme_float32_values_are_stored_exactly_as_given_whatever_the_session_prints",
            "write_sync/test_put_and_delete.py::test_put_vectors_writes_data_and_metadata_that_boto3_reads_back",
        ),
    ),
    Mutant(
        "metadata is sized exactly only past twice the limit as jsonb text",
        "70_write.sql",
        "AND pg_catalog.octet_length(i.m::text) > s3vl._limit('metadata_bytes')",
        "AND pg_catalog.octet_length(i.m::text) > 2 * s3vl._limit('metadata_bytes')",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "filterable metadata is sized exactly only past twice its limit as jsonb text",
        "70_write.sql",
        "> s3vl._limit('filterable_metadata_bytes')\n                 AND s3vl._metadata_bytes",
        "> 2 * s3vl._limit('filterable_metadata_bytes')\n                 AND s3vl._metadata_bytes",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "the float32 range of a vector to write is checked above only",
        "70_write.sql",
        """'$[*] ? (@.type() == "number" && (@ > $max || @ < -$max))'""",
        """'$[*] ? (@.type() == "number" && (@ > $max))'""",
        ("write_sync/test_write_bad_input.py::test_bad_input_is_refused_before_any_write",),
    ),
    Mutant(
        "a value whose bits are array_send's element length is taken out with the lengths",
        "70_write.sql",
        "    IF pg_catalog.octet_length(v_hex) = 8 * pg_catalog.cardinality(vector) THEN",
        "    IF true THEN",
        (
            "write_sync/test_put_and_delete.py::test_extreme_float32_values_are_stored_exactly_as_given_whatever_the_session_prints",
            "write_sync/test_sync.py::test_extreme_float32_values_sync_exactly_whatever_the_session_prints",
        ),
    ),
)


@dataclass(frozen=True)
class Outcome:
    code: int  # pytest's exit code
    failed: tuple[str, ...]  # the tests that failed (in their call, not a fixture's error)
    errors: int
    output: str  # the end of pytest's output


def _pytest(node_ids: list[str], report: Path, mutant: str | None) -> Outcome:
    """One pytest run of these tests (stopping at the first failure), with the mutant applied."""
    environment = {k: v for k, v in os.environ.items() if k != VARIABLE}
    if mutant is not None:
        environment[VARIABLE] = mutant
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
         f"--junitxml={report}", *(f"tests/{node}" for node in node_ids)],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    failed: list[str] = []
    errors = 0
    if report.is_file():
        for case in ET.parse(report).getroot().iter("testcase"):
            if case.find("failure") is not None:
                module = case.get("classname", "").rsplit(".", 1)[-1]
                failed.append(f"{module}::{case.get('name')}")
            errors += len(case.findall("error"))
    return Outcome(done.returncode, tuple(failed), errors, (done.stdout + done.stderr)[-3000:])


def run(mutant: Mutant, scratch: Path) -> str:
    """'killed by TEST', 'survived', or why the mutant could not be tried. Killed means a test
    failed; errors alone (a fixture that could not set up) do not count."""
    outcome = _pytest(list(mutant.tests), scratch / "report.xml", mutant.name)
    if outcome.code == 1 and outcome.failed:
        return "killed by " + ", ".join(outcome.failed)
    if outcome.code == 0:
        return "survived"
    return (
        f"not tried: pytest exited {outcome.code} ({len(outcome.failed)} failed,"
        f" {outcome.errors} errors)\n{outcome.output}"
    )


def main(argv: list[str]) -> int:
    names = set(argv)
    unknown = names - {m.name for m in MUTANTS}
    if unknown:
        print(f"no such mutant: {sorted(unknown)}", file=sys.stderr)
        return 2
    chosen = [m for m in MUTANTS if not names or m.name in names]
    started = time.monotonic()
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="s3vl-sql-mutants-") as scratch:
        # The tests must pass on the real SQL first, or a failure proves nothing.
        every_test = sorted({node for m in chosen for node in m.tests})
        base = _pytest(every_test, Path(scratch) / "base.xml", None)
        if base.code != 0:
            print(f"the mutants' tests fail without a mutant (exit {base.code}):\n{base.output}")
            return 1
        took = time.monotonic() - started
        print(f"without a mutant: the {len(every_test)} tests named pass ({took:.0f} s)")
        for mutant in chosen:
            began = time.monotonic()
            outcomes[mutant.name] = run(mutant, Path(scratch))
            print(f"{mutant.name:<72} {time.monotonic() - began:3.0f} s  {outcomes[mutant.name]}",
                  flush=True)  # fmt: skip
    killed = sum(outcome.startswith("killed") for outcome in outcomes.values())
    print(f"SQL hand-made mutants: {len(outcomes)}, killed {killed}"
          f" ({time.monotonic() - started:.0f} s in all)")  # fmt: skip
    return 0 if killed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
