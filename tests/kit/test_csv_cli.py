"""`okrgraph import --csv` and `okrgraph export --csv` from the command line: a file in, the
same columns out, into an empty organization and back the same, twice = nothing to change, a
dry run writing nothing, a refused file naming its line and column with exit status 1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from service import cli
from service.store.mongo import MongoStore
from tests.kit.kit import memory_store

SOURCE = (
    "\ufeffDue,Objective,Parent,Key Result,Owner Email,Department,Kind,Start,Target,Current\r\n"
    "2026,Increase the sales close rate by 20%,,,ceo@acme.test,,,,,\r\n"
    "2026-Q1,Fill the funnel,Increase the sales close rate by 20%,,,Marketing,,,,\r\n"
    '2026-Q1,Fill the funnel,,"Obtain 1,000 MQLs",mia@acme.test,Marketing,increase,0,1000,400\r\n'
    '2026-Q2,"=Win, then ""grow""",Increase the sales close rate by 20%,,,Sales,,,,\r\n'
    '2026-Q2,"=Win, then ""grow""",,Cut churn,,Sales,decrease,10,5,\r\n'
)
EXPORTED = (
    "objective,parent,key result,owner email,department,kind,start,target,current,due\r\n"
    "Increase the sales close rate by 20%,,,ceo@acme.test,,,,,,2026\r\n"
    "Fill the funnel,Increase the sales close rate by 20%,,,Marketing,,,,,2026-Q1\r\n"
    'Fill the funnel,,"Obtain 1,000 MQLs",mia@acme.test,Marketing,INCREASE,0,1000,400,2026-Q1\r\n'
    '"\'=Win, then ""grow""",Increase the sales close rate by 20%,,,Sales,,,,,2026-Q2\r\n'
    '"\'=Win, then ""grow""",,Cut churn,,Sales,DECREASE,10,5,10,2026-Q2\r\n'
)


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> dict[str, MongoStore]:
    """Two in-process stores, one per --mongodb-uri."""
    found = {"mongodb://a": memory_store("csv_cli_a"), "mongodb://b": memory_store("csv_cli_b")}

    @asynccontextmanager
    async def open_store(
        *,
        mongodb_uri: str | None,
        data_dir: Path | None,
        database: str = "okrgraph",
        selection_timeout: float = 1.5,
    ) -> AsyncIterator[MongoStore]:
        assert mongodb_uri is not None
        yield found[mongodb_uri]

    async def ready() -> None:
        for store in found.values():
            await store.ensure_indexes()

    asyncio.run(ready())
    monkeypatch.setattr(cli, "open_store", open_store)
    return found


def test_import_then_export_round_trips_through_an_empty_organization(
    stores: dict[str, MongoStore], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = ["--mongodb-uri", "mongodb://a"], ["--mongodb-uri", "mongodb://b"]
    source = tmp_path / "okrs.csv"
    source.write_bytes(SOURCE.encode())
    exported = tmp_path / "exported.csv"

    assert cli.main(["import", "--csv", str(source), "--org", "acme", "--dry-run", *a]) == 0
    out = capsys.readouterr().out
    assert "line 4: CREATE key result Obtain 1,000 MQLs" in out
    assert "dry run: nothing was written" in out
    assert cli.main(["export", "--csv", "--org", "acme", *a]) == 1
    assert "no organization" in capsys.readouterr().err

    assert cli.main(["import", "--csv", str(source), "--org", "acme", *a]) == 0
    assert "written as one change" in capsys.readouterr().out
    assert cli.main(["import", "--csv", str(source), "--org", "acme", *a]) == 0
    assert "nothing to change" in capsys.readouterr().out
    assert cli.main(["export", "--csv", "--org", "acme", "--output", str(exported), *a]) == 0
    capsys.readouterr()
    assert exported.read_bytes().decode() == EXPORTED

    assert cli.main(["import", "--csv", str(exported), "--org", "copy", *b]) == 0
    capsys.readouterr()
    assert cli.main(["export", "--csv", "--org", "copy", *b]) == 0
    assert capsys.readouterr().out.splitlines() == EXPORTED.splitlines()
    assert cli.main(["export", "--csv", "--org", "copy", "--output", str(tmp_path / "c"), *b]) == 0
    assert (tmp_path / "c").read_bytes() == exported.read_bytes()


def test_a_refused_file_names_line_and_column_and_writes_nothing(
    stores: dict[str, MongoStore], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = ["--mongodb-uri", "mongodb://a"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes((SOURCE + "2026-Q1,Fill the funnel,,Flat,,,,5,5,\r\n").encode())
    assert cli.main(["import", "--csv", str(bad), "--org", "acme", *a]) == 1
    out = capsys.readouterr().out
    assert "line 7, column target: NOT_MEASURABLE" in out
    assert "nothing was written" in out
    assert cli.main(["export", "--csv", "--org", "acme", *a]) == 1  # not even the organization
    capsys.readouterr()
    bad.write_bytes(b"objective\n\xff\n")
    assert cli.main(["import", "--csv", str(bad), "--org", "acme", *a]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert cli.main(["import", "--csv", str(tmp_path / "none.csv"), "--org", "acme", *a]) == 1
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["import", "--csv", str(bad), *a])
    assert usage.value.code == 2
