"""The pure half of ``telephonist bulk``: reading the file, templates, keys, pacing, results."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephonist.bulk import plan, results
from telephonist.bulk.plan import BulkError, Sender
from telephonist.bulk.results import Result

SENDER = Sender(from_="+15005550006")


def rows_of(text: str, body: str = "Hi {name}", **options: str) -> list[plan.Row]:
    data = text.encode("utf-8")
    table = plan.read_table(data, "r.csv")
    template = plan.parse_template(body) if "body_column" not in options else None
    return plan.plan_rows(table, plan.content_hash(data), SENDER, template=template, **options)


# -- Templates -------------------------------------------------------------------------------


def test_template_fills_columns_and_keeps_literal_braces() -> None:
    """{column} is the row's value; {{ and }} are braces; column names are taken as written."""
    template = plan.parse_template("Hi {first name}, {{code}} {a.b} {first name}")
    assert template.fields == ("first name", "a.b")
    assert template.render({"first name": "Ann", "a.b": "x"}) == "Hi Ann, {code} x Ann"


@pytest.mark.parametrize("body", ["Hi {name", "Hi }", "{}", "{name!r}", "{name:>9}"])
def test_template_refuses_what_is_not_a_column_field(body: str) -> None:
    """Unpaired braces, positional fields, conversions and format specs are refused."""
    with pytest.raises(BulkError, match="--body"):
        plan.parse_template(body)


def test_missing_template_column_is_named_before_any_row() -> None:
    """A field naming no column fails the plan, naming the field and listing the columns."""
    with pytest.raises(BulkError, match=r"no column 'nmae' \(the columns are: 'to', 'name'\)"):
        rows_of("to,name\n+14155550100,Ann\n", body="Hi {nmae}")


def test_missing_to_and_body_columns_are_named() -> None:
    with pytest.raises(BulkError, match="no column 'phone'"):
        rows_of("to,name\n+14155550100,Ann\n", to_column="phone")
    with pytest.raises(BulkError, match="no column 'text'"):
        rows_of("to,name\n+14155550100,Ann\n", body_column="text")


def test_body_column_and_to_column() -> None:
    rows = rows_of(
        "phone,text\n+14155550100,hello {not a field}\n", body_column="text", to_column="phone"
    )
    assert [(r.to, r.body) for r in rows] == [("+14155550100", "hello {not a field}")]


def test_duplicates_and_empty_recipients_are_row_problems() -> None:
    """The same person twice (however formatted) is sent once; an empty `to` is not sent."""
    rows = rows_of("to,name\n+14155550100,A\n,B\n+1 415 555 0100,C\n+14155550101,D\n")
    assert [r.problem and r.problem[0] for r in rows] == [None, "missing-to", "duplicate", None]
    assert rows[2].problem is not None and "row 1" in rows[2].problem[1]
    assert [r.number for r in plan.pending(rows, done=[4])] == [1]


# -- Reading the file ------------------------------------------------------------------------


def test_not_utf8_names_the_line() -> None:
    """A Latin-1 file is refused, naming the line of the first bad byte."""
    data = "to,name\n+14155550100,Ann\n+14155550101,José\n".encode("latin-1")
    with pytest.raises(BulkError, match=r"r\.csv: not UTF-8 \(line 3: byte 0xe9\)"):
        plan.read_table(data, "r.csv")


def test_byte_order_mark_and_blank_lines_are_fine() -> None:
    table = plan.read_table(b"\xef\xbb\xbfto,name\n\n+14155550100,Ann\n\n+14155550101,Bo\n")
    assert table.columns == ("to", "name")
    assert [r["name"] for r in table.records] == ["Ann", "Bo"]
    assert table.lines == (3, 5)


def test_wrong_field_count_names_row_and_line() -> None:
    """Rows count data records; lines count the file's lines (a quoted field may span two)."""
    data = b'to,name\n+14155550100,"Ann\nSmith"\n+14155550101,Bo,extra\n'
    with pytest.raises(BulkError, match=r"row 2 \(line 4\) has 3 fields, the header has 2"):
        plan.read_table(data, "r.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"to,to\n", "column 'to' appears twice"),
        (b"to,\n", "a column has no name"),
        (b'to,name\n+14155550100,"Ann"x\n', r"row 1 \(line 2\)"),
    ],
)
def test_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(BulkError, match=message):
        plan.read_table(data, "r.csv")


# -- Keys ------------------------------------------------------------------------------------


def test_key_is_stable_across_versions() -> None:
    """The derivation is pinned: changing it would make a rerun after an upgrade resend."""
    key = plan.row_key("ab" * 32, SENDER, "template:Hi {name}", 7)
    assert key == "bulk-b11e473d060d61c9631e42ee91765043ef6c9ff1-7"
    assert key == plan.row_key("ab" * 32, SENDER, "template:Hi {name}", 7)
    assert len(key) <= 255 and key.isascii() and key.isprintable()


def test_key_changes_with_every_input() -> None:
    """File content, sender, body and row each make a different key."""
    base = ("ab" * 32, SENDER, "template:Hi {name}", 7)
    variants = [
        ("cd" * 32, SENDER, "template:Hi {name}", 7),
        ("ab" * 32, Sender(service="MG" + "0" * 32), "template:Hi {name}", 7),
        ("ab" * 32, Sender(from_="+15005550007"), "template:Hi {name}", 7),
        ("ab" * 32, SENDER, "template:Hello {name}", 7),
        ("ab" * 32, SENDER, "column:Hi {name}", 7),
        ("ab" * 32, SENDER, "template:Hi {name}", 8),
    ]
    keys = {plan.row_key(*v) for v in [base, *variants]}
    assert len(keys) == len(variants) + 1


def test_same_file_same_keys_edited_file_new_keys() -> None:
    text = "to,name\n+14155550100,Ann\n+14155550101,Bo\n"
    assert [r.key for r in rows_of(text)] == [r.key for r in rows_of(text)]
    edited = [r.key for r in rows_of(text.replace("Bo", "Bob"))]
    assert not set(edited) & {r.key for r in rows_of(text)}


def test_sender_is_one_of_from_and_service() -> None:
    with pytest.raises(BulkError, match="exactly one of --from and --service"):
        Sender()
    with pytest.raises(BulkError):
        Sender(from_="+15005550006", service="MG1")
    assert Sender(service="MG1").params == (("MessagingServiceSid", "MG1"),)


# -- Pacing and rates ------------------------------------------------------------------------


def test_pacer_spaces_sends_and_gives_no_burst_after_a_pause() -> None:
    pacer = plan.Pacer(2.0)
    assert [pacer.delay(0.0) for _ in range(3)] == [0.0, 0.5, 1.0]
    assert pacer.delay(10.0) == 0.0  # a pause: the next one is due now, not a backlog
    assert pacer.delay(10.0) == 0.5
    with pytest.raises(BulkError, match="--rate"):
        plan.Pacer(0)


@pytest.mark.parametrize(
    ("sender", "rate"),
    [
        ("+14155550100", 1.0),  # local
        ("+18005550100", 3.0),  # toll-free
        ("12345", 100.0),  # short code
        ("ACME", 10.0),  # alphanumeric
        ("+15005550006", 1.0),  # unknown kind: the slowest
    ],
)
def test_default_rate_by_sender_kind(sender: str, rate: float) -> None:
    assert plan.sender_rate(sender) == rate


def test_pool_rate_sums_the_pool() -> None:
    assert plan.pool_rate(["+14155550100", "+18005550100"]) == 4.0
    assert plan.pool_rate([]) == 1.0


# -- Results file ----------------------------------------------------------------------------


def test_results_round_trip_last_line_wins(tmp_path: Path) -> None:
    path = tmp_path / "r.results.csv"
    with results.appending(path) as out:
        out.add(Result(2, "+14155550101", status="error", error_message="timed out"))
        out.add(Result(1, "+14155550100", "SM1", "queued"))
        out.add(Result(2, "+14155550101", "SM2", "queued"))
    assert path.read_text().splitlines()[0] == "row,to,sid,status,error_code,error_message"
    found = results.read_results(path)
    assert found[2] == Result(2, "+14155550101", "SM2", "queued")
    results.rewrite(path, found.values())
    assert [line.split(",")[0] for line in path.read_text().splitlines()] == ["row", "1", "2"]


def test_only_unanswered_rows_are_unsettled() -> None:
    assert Result(1, "x", "SM1", "queued").settled
    assert Result(1, "x", status="rejected", error_code="21211").settled
    assert not Result(1, "x", status="error").settled


def test_results_for_another_file_are_refused(tmp_path: Path) -> None:
    rows = rows_of("to,name\n+14155550100,Ann\n")
    other = {1: Result(1, "+14155550199", "SM1", "queued")}
    with pytest.raises(BulkError, match="row 1 is for '\\+14155550199'"):
        results.check_matches(tmp_path / "x.csv", other, rows)
    results.check_matches(tmp_path / "x.csv", {1: Result(1, "+14155550100", "SM1")}, rows)


def test_not_a_results_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("to,name\n+14155550100,Ann\n")
    with pytest.raises(BulkError, match="not a results file"):
        results.read_results(path)
    assert results.read_results(tmp_path / "absent.csv") == {}
    assert results.default_path(Path("a/list.csv")) == Path("a/list.results.csv")
