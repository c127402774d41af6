"""Crawl formats in (HTML, WARC, Parquet) and batch results out (JSONL, Parquet).

Every fixture is made here, from short invented articles."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from unspin.errors import UnspinError
from unspin.readers import (
    Document,
    ReadOptions,
    ReadProblem,
    ReadStats,
    decode_html,
    detect_format,
    read_inputs,
)
from unspin.writers import open_writer

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("trafilatura")
warcio_writer = pytest.importorskip("warcio.warcwriter")
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402

ARTICLES = {
    "ferry": (
        "Night ferry returns to Kestrel Bay",
        [
            "The night ferry between Kestrel Bay and the island of Morrow will run again from "
            "the first week of June, the harbour board said on Thursday, ending a pause of "
            "almost two years.",
            "Board chair Ilse Varga told reporters that a refitted vessel had passed its sea "
            "trials and that crews had been hired for four crossings a week through the "
            "summer season.",
            "Islanders had complained that the last boat of the day left the mainland before "
            "most shifts ended, forcing workers to stay overnight in town at their own cost.",
            "Tickets will go on sale next month, and the board expects the late crossings to "
            "be busiest on Friday evenings, when students travel home for the weekend.",
        ],
    ),
    "orchard": (
        "Frost spares the Velden orchards",
        [
            "Growers in the Velden valley say the late frost that hit the region last week "
            "did far less damage to the apple blossom than they had feared.",
            "Cooperative manager Tomas Reyl said smudge pots and overhead sprinklers kept most "
            "trees above freezing through the two coldest nights of the spring.",
            "Early counts suggest losses of about one tenth of the crop, mostly on low ground "
            "near the river where cold air settles before dawn.",
            "The cooperative will publish a fuller estimate after the fruit sets in May.",
        ],
    ),
    "library": (
        "Old mill becomes a library",
        [
            "The brick grain mill on Tanner Street, empty for a decade, will reopen in the "
            "autumn as the town's new public library, the council confirmed on Monday.",
            "Architects kept the original timber beams and the iron water wheel, which will "
            "stand behind glass in the children's reading room on the ground floor.",
            "Librarian Odile Brack said the building triples the space for books and adds "
            "quiet rooms that students can book for group study in the evenings.",
            "The project cost less than a new building would have, according to the council's "
            "own figures, because the walls and roof were found to be sound.",
        ],
    ),
}
BOILERPLATE = ("Subscribe to our newsletter today", "Copyright Harbour Gazette Media Group")


def page(
    key: str,
    *,
    url: str | None = None,
    date: str | None = None,
    charset: str = "utf-8",
    paras: list[str] | None = None,
) -> str:
    title, body = ARTICLES[key]
    head = [f'<meta charset="{charset}">', f"<title>{title} | Harbour Gazette</title>"]
    if url:
        head.append(f'<link rel="canonical" href="{url}">')
    if date:
        head.append(f'<meta property="article:published_time" content="{date}">')
    nav = "".join(f'<li><a href="/section/{i}">Section {i} news</a></li>' for i in range(10))
    ps = "\n".join(f"<p>{p}</p>" for p in (paras or body))
    return (
        "<!DOCTYPE html>\n<html><head>" + "".join(head) + "</head><body>"
        f'<header><nav class="menu"><ul>{nav}</ul></nav>'
        f'<div class="promo">{BOILERPLATE[0]}</div></header>'
        f"<main><article><h1>{title}</h1>\n{ps}\n</article></main>"
        f'<footer><p>{BOILERPLATE[1]}</p><a href="/privacy">Privacy policy</a></footer>'
        "</body></html>"
    )


def read(*paths: Path | str, **kw: Any) -> list[Document | ReadProblem]:
    return list(read_inputs([str(p) for p in paths], ReadOptions(**kw)))


def docs_and_problems(
    items: list[Document | ReadProblem],
) -> tuple[list[Document], list[ReadProblem]]:
    return (
        [i for i in items if isinstance(i, Document)],
        [i for i in items if isinstance(i, ReadProblem)],
    )


def http_response(body: bytes, content_type: str, status: str = "200 OK") -> StatusAndHeaders:
    return StatusAndHeaders(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        protocol="HTTP/1.1",
    )


def make_warc(path: Path, gz: bool = True) -> list[int]:
    """3 HTML responses, a PNG response, a request and a 404 page; returns record offsets."""
    buf = io.BytesIO()
    w = warcio_writer.WARCWriter(buf, gzip=gz)
    offsets = []

    def add(rec: Any) -> None:
        offsets.append(buf.tell())
        w.write_record(rec)

    for key in ARTICLES:
        body = page(key).encode("utf-8")
        uri = f"https://gazette.example/{key}"
        add(
            w.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(body),
                http_headers=http_response(body, "text/html; charset=utf-8"),
            )
        )
        if key == "ferry":
            png = b"\x89PNG\r\n\x1a\n" + bytes(200)
            add(
                w.create_warc_record(
                    "https://gazette.example/logo.png",
                    "response",
                    payload=io.BytesIO(png),
                    http_headers=http_response(png, "image/png"),
                )
            )
            req = StatusAndHeaders(
                "GET /orchard HTTP/1.1", [("Host", "gazette.example")], is_http_request=True
            )
            add(
                w.create_warc_record(
                    "https://gazette.example/orchard",
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=req,
                )
            )
    missing = page("library", paras=["Not found. This page has gone away for good now."])
    body = missing.encode()
    add(
        w.create_warc_record(
            "https://gazette.example/gone",
            "response",
            payload=io.BytesIO(body),
            http_headers=http_response(body, "text/html", "404 Not Found"),
        )
    )
    path.write_bytes(buf.getvalue())
    return offsets


# -- format detection ----------------------------------------------------------------------


def test_detect_format_by_extension() -> None:
    cases = {
        "a.html": "html",
        "a.HTM": "html",
        "a.xhtml": "html",
        "c.warc": "warc",
        "c.warc.gz": "warc",
        "c.arc.gz": "warc",
        "t.parquet": "parquet",
        "t.pq": "parquet",
        "d.jsonl": "jsonl",
        "d.ndjson.gz": "jsonl",
        "n.txt": "text",
        "n": "text",
    }
    for name, fmt in cases.items():
        assert detect_format(name) == fmt, name


# -- HTML ----------------------------------------------------------------------------------


def test_html_page_main_text_title_url_date_without_boilerplate(tmp_path: Path) -> None:
    p = tmp_path / "ferry.html"
    url = "https://gazette.example/2024/05/night-ferry"
    p.write_text(page("ferry", url=url, date="2024-05-02T09:30:00Z"), encoding="utf-8")
    (doc,) = read(p)
    assert isinstance(doc, Document), doc
    assert doc.id == url and doc.url == url
    assert doc.title is not None and "Night ferry returns" in doc.title
    assert doc.date == "2024-05-02"
    assert doc.meta["format"] == "html" and doc.origin == str(p)
    for para in ARTICLES["ferry"][1]:
        assert para in doc.text
    assert "\n" in doc.text  # paragraphs stay apart
    for junk in (*BOILERPLATE, "Section 3 news", "Privacy policy"):
        assert junk not in doc.text


def test_html_sniffed_in_text_file_and_forced_by_format(tmp_path: Path) -> None:
    sniffed = tmp_path / "saved.txt"
    sniffed.write_text("\n  " + page("orchard").replace("<!DOCTYPE html>", "<!doctype HTML>"))
    no_ext = tmp_path / "page"
    no_ext.write_text(page("orchard").replace("<!DOCTYPE html>\n", ""), encoding="utf-8")
    forced = tmp_path / "page.dat"
    forced.write_text("<body>" + page("orchard").split("<body>", 1)[1], encoding="utf-8")
    a, b = read(sniffed, no_ext)
    (c,) = read(forced, format="html")
    for d, path in ((a, sniffed), (b, no_ext), (c, forced)):
        assert isinstance(d, Document), d
        assert d.id == str(path) and d.url is None  # no canonical URL: the path is the id
        assert "smudge pots" in d.text and BOILERPLATE[0] not in d.text


def test_html_without_article_text_is_a_problem(tmp_path: Path) -> None:
    empty_body = tmp_path / "empty.html"
    empty_body.write_text(
        "<!DOCTYPE html><html><head><title>Nothing here</title></head><body></body></html>",
        encoding="utf-8",
    )
    scripts_only = tmp_path / "app.html"
    scripts_only.write_text(
        "<html><head><script>var x = 1;</script></head><body><div id='root'></div>"
        "<script>render()</script></body></html>",
        encoding="utf-8",
    )
    blank = tmp_path / "blank.html"
    blank.write_bytes(b"  \n ")
    items = read(empty_body, scripts_only, blank)
    assert all(isinstance(i, ReadProblem) for i in items), items
    assert [i.message for i in items if isinstance(i, ReadProblem)] == [
        "no article text found in HTML",
        "no article text found in HTML",
        "empty file",
    ]


def test_huge_html_page_is_refused_before_parsing(tmp_path: Path) -> None:
    p = tmp_path / "huge.html"
    filler = "<p>" + "The council met again to discuss the budget. " * 40 + "</p>\n"
    with p.open("w", encoding="utf-8") as f:
        f.write("<!DOCTYPE html><html><body>")
        while f.tell() < 20 * 1024 * 1024:
            f.write(filler)
        f.write("</body></html>")
    t = time.perf_counter()
    (item,) = read(p)
    assert time.perf_counter() - t < 1.0
    assert isinstance(item, ReadProblem) and "too large" in item.message


def test_declared_windows_1252_is_decoded(tmp_path: Path) -> None:
    paras = [
        "The caf\u00e9 on the quay \u2013 known to all as \u201cLe Phare\u201d \u2013 "
        "reopened on Saturday after a winter of repairs to its roof and terrace.",
        "Its owner, Ren\u00e9e Dufr\u00eane, said the menu would not change: soup, "
        "bread and the same strong coffee served since 1961, for \u20ac2 a cup.",
    ]
    html = page("ferry", charset="windows-1252", paras=paras)
    p = tmp_path / "cafe.html"
    p.write_bytes(html.encode("cp1252"))
    (doc,) = read(p)
    assert isinstance(doc, Document), doc
    assert "caf\u00e9 on the quay \u2013 known to all as \u201cLe Phare\u201d" in doc.text
    assert "Ren\u00e9e Dufr\u00eane" in doc.text and "\u20ac2" in doc.text
    # latin-1 labels mean windows-1252, as in browsers; bad bytes never raise
    assert (
        decode_html(b"<meta charset=iso-8859-1>\x93hi\x94")
        == "<meta charset=iso-8859-1>\u201chi\u201d"
    )
    assert (
        decode_html(b"caf\xc3\xa9 \xff\xfe\x80", declared="no-such-charset")
        == "caf\u00e9 \ufffd\ufffd\ufffd"
    )
    assert decode_html(b"\xef\xbb\xbfok", declared="cp1252") == "ok"
    mixed = tmp_path / "mixed.html"
    mixed.write_bytes(page("orchard").encode("utf-8").replace(b"Growers", b"Gr\xf6wers \x81\x00"))
    (doc,) = read(mixed)
    assert isinstance(doc, Document) and "\ufffd" in doc.text and "smudge pots" in doc.text


def test_html_from_stdin() -> None:
    html = page("library", url="https://gazette.example/mill")
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "from unspin.readers import *; "
            "[print(repr(i)) for i in read_inputs(['-'], ReadOptions(format='html'))]",
        ],
        input=html.encode(),
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("Document(id='https://gazette.example/mill'")
    assert "water wheel" in out and "origin='-'" in out


# -- WARC ----------------------------------------------------------------------------------


def test_warc_yields_only_html_200_responses(tmp_path: Path) -> None:
    p = tmp_path / "crawl.warc.gz"
    make_warc(p)
    stats = ReadStats()
    items = list(read_inputs([str(p)], ReadOptions(), stats))
    docs, problems = docs_and_problems(items)
    assert problems == []
    assert [d.id for d in docs] == [f"https://gazette.example/{k}" for k in ARTICLES]
    assert [d.url for d in docs] == [d.id for d in docs]
    assert [d.origin for d in docs] == [f"{p}#0", f"{p}#3", f"{p}#4"]
    assert docs[0].title is not None and docs[0].title.startswith("Night ferry")
    assert "smudge pots" in docs[1].text and BOILERPLATE[1] not in docs[1].text
    # the PNG, its warcinfo-less request and the 404 page: counted, not problems
    assert stats.warc_records_ignored == 3
    assert stats.ignored_by_type == {"response image/png": 1, "request": 1, "response 404": 1}


def test_uncompressed_warc_and_forced_format(tmp_path: Path) -> None:
    p = tmp_path / "crawl.bin"
    make_warc(p, gz=False)
    docs, problems = docs_and_problems(read(p, format="warc"))
    assert len(docs) == 3 and problems == []


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_warc_keeps_records_before_the_cut(tmp_path: Path, gz: bool) -> None:
    whole = tmp_path / "whole.warc"
    offsets = make_warc(whole, gz=gz)
    data = whole.read_bytes()
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(data[: (offsets[3] + offsets[4]) // 2])  # mid-way into record 3
    docs, problems = docs_and_problems(read(cut))
    assert [d.id for d in docs] == ["https://gazette.example/ferry"]
    (problem,) = problems
    assert problem.origin == f"{cut}#3"
    assert "truncated WARC" in problem.message and "stopped at record 3" in problem.message


def test_truncated_warc_header_and_garbage(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc"
    offsets = make_warc(whole, gz=False)
    head_cut = tmp_path / "head_cut.warc"
    head_cut.write_bytes(whole.read_bytes()[: offsets[1] + 40])  # inside record 1's header
    garbage_gz = tmp_path / "garbage.warc.gz"
    garbage_gz.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8)
    not_warc = tmp_path / "notes.warc.gz"
    not_warc.write_bytes(b"these are plain notes, not an archive\n" * 10)
    items = read(head_cut, garbage_gz, not_warc, tmp_path / "none.warc")
    docs, problems = docs_and_problems(items)
    assert [d.id for d in docs] == ["https://gazette.example/ferry"]
    assert [p.origin for p in problems] == [
        f"{head_cut}#1",
        f"{garbage_gz}#0",
        str(not_warc),
        str(tmp_path / "none.warc"),
    ]
    assert "WARC: stopped at record 1" in problems[0].message
    assert "WARC: stopped at record 0" in problems[1].message
    assert "not a WARC or ARC file" in problems[2].message
    assert "no such file" in problems[3].message


def test_warc_page_over_max_bytes_is_a_problem_and_reading_goes_on(tmp_path: Path) -> None:
    p = tmp_path / "crawl.warc.gz"
    make_warc(p)
    docs, problems = docs_and_problems(read(p, max_bytes=1000))
    assert docs == [] and len(problems) == 3
    assert all("too large" in pr.message for pr in problems)


def test_arc_file(tmp_path: Path) -> None:
    body = page("orchard").encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    desc = b"1 0 Example\nURL IP-address Archive-date Content-type Archive-length\n"
    header = b"filedesc://crawl.arc 0.0.0.0 20240501000000 text/plain %d\n" % len(desc)
    rec = b"https://gazette.example/orchard 192.0.2.1 20240501120000 text/html %d\n" % len(http)
    p = tmp_path / "crawl.arc.gz"
    p.write_bytes(gzip.compress(header + desc + b"\n") + gzip.compress(rec + http + b"\n"))
    docs, problems = docs_and_problems(read(p))
    assert problems == []
    assert [d.id for d in docs] == ["https://gazette.example/orchard"]


# -- Parquet -------------------------------------------------------------------------------


def test_parquet_rows_become_documents(tmp_path: Path) -> None:
    p = tmp_path / "docs.parquet"
    keys = list(ARTICLES)
    pq.write_table(
        pa.table(
            {
                "doc_id": keys,
                "body": ["\n".join(ARTICLES[k][1]) for k in keys],
                "title": [ARTICLES[k][0] for k in keys],
                "url": [f"https://gazette.example/{k}" for k in keys],
                "lang": ["en"] * 3,
            }
        ),
        p,
        row_group_size=2,
    )
    docs, problems = docs_and_problems(read(p, text_field="body", id_field="doc_id"))
    assert problems == []
    assert [d.id for d in docs] == keys
    assert [d.origin for d in docs] == [f"{p}#row{i}" for i in range(3)]
    assert docs[2].title == "Old mill becomes a library"
    assert docs[2].url == "https://gazette.example/library"


def test_parquet_wrong_columns_null_rows_and_corruption(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"content": ["x"], "key": ["k"]}), wrong)
    nulls = tmp_path / "nulls.pq"
    pq.write_table(pa.table({"text": ["A first short article.", None, "", "A fourth one."]}), nulls)
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + bytes(500))
    half = tmp_path / "half.parquet"
    half.write_bytes(wrong.read_bytes()[:-40])
    items = read(wrong, nulls, corrupt, half)
    docs, problems = docs_and_problems(items)
    assert [d.id for d in docs] == [f"{nulls}#row0", f"{nulls}#row3"]  # no id column
    assert [p.origin for p in problems] == [
        str(wrong),
        f"{nulls}#row1",
        f"{nulls}#row2",
        str(corrupt),
        str(half),
    ]
    assert "no column 'text'" in problems[0].message
    assert "content, key" in problems[0].message
    assert "null" in problems[1].message and "empty" in problems[2].message
    assert "Parquet" in problems[3].message and "Parquet" in problems[4].message


def test_missing_crawl_extra_is_a_problem_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unspin import readers

    html = tmp_path / "a.html"
    html.write_text(page("ferry"), encoding="utf-8")
    warc = tmp_path / "a.warc.gz"
    make_warc(warc)
    table = tmp_path / "a.parquet"
    pq.write_table(pa.table({"text": ["Some words."]}), table)
    for name in ("trafilatura", "warcio", "pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)  # import now fails
    readers._crawl_missing.cache_clear()
    try:
        items = read(html, warc, table)
    finally:
        readers._crawl_missing.cache_clear()
    assert [type(i) for i in items] == [ReadProblem] * 3
    assert [i.message.split(":")[0] for i in items if isinstance(i, ReadProblem)] == [
        "reading HTML needs the crawl extra",
        "reading WARC needs the crawl extra",
        "reading Parquet needs the crawl extra",
    ]
    assert all("pip install 'unspin[crawl]'" in str(i) for i in items)


# -- writers -------------------------------------------------------------------------------

REPORTS: list[dict[str, Any]] = [
    {
        "id": "a",
        "verdict": "copy",
        "sources": [
            {
                "id": "s1",
                "score": 0.9,
                "coverage": 1.0,
                "reused": 0.5,
                "title": "T",
                "url": None,
            }
        ],
        "substitutions": [
            {"start": 3, "end": 8, "text": "quick", "original": "fast", "source_id": "s1"}
        ],
        "restored": "the fast fox",
        "evasions": {"homoglyphs": 2},
    },
    {
        "id": "b",
        "verdict": "no-source",
        "sources": [],
        "substitutions": [],
        "restored": "",
        "evasions": {},
    },
    {
        "id": "c\u00e9",
        "verdict": "copy",
        "sources": [
            {"id": "s2", "score": 1, "coverage": 0.5, "reused": 0.25, "title": None, "url": "u"}
        ],
        "substitutions": [],
        "restored": "r\u00e9sum\u00e9",
        "evasions": {},
    },
]


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_writer_round_trip(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    with open_writer(out) as w:
        for r in REPORTS:
            w.write(r)
        assert w.count == 3
    if name.endswith(".jsonl"):
        text = out.read_text(encoding="utf-8")
        assert "r\u00e9sum\u00e9" in text  # not \u escaped
        back = [json.loads(line) for line in text.splitlines()]
        assert back == REPORTS
        return
    table = pq.read_table(out)
    assert table.schema.field("sources").type == pa.list_(
        pa.struct(
            [
                ("id", pa.string()),
                ("score", pa.float64()),
                ("coverage", pa.float64()),
                ("reused", pa.float64()),
                ("title", pa.string()),
                ("url", pa.string()),
            ]
        )
    )
    rows = table.to_pylist()
    for row, want in zip(rows, REPORTS, strict=True):
        row["evasions"] = dict(row["evasions"])
        assert row == {
            **want,
            "sources": [{**s, "score": float(s["score"])} for s in want["sources"]],
        }
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left


def test_parquet_writer_schema_survives_empty_first_batch_and_extra_fields(
    tmp_path: Path,
) -> None:
    out = tmp_path / "r.parquet"
    from unspin.writers import ParquetResultWriter

    with ParquetResultWriter(out, batch_rows=2) as w:
        w.write({**REPORTS[1], "origin": "x.warc#3", "extra": {"k": [1, 2]}})
        w.write({**REPORTS[1], "id": "b2", "origin": None, "extra": None})
        w.write(REPORTS[0])  # second batch: lists now filled; extras absent -> null
    table = pq.read_table(out)
    assert table.num_rows == 3
    assert table.column("origin").to_pylist() == ["x.warc#3", None, None]
    assert table.column("extra").to_pylist() == ['{"k": [1, 2]}', None, None]
    assert table.schema.field("extra").metadata == {b"unspin.encoding": b"json"}
    assert table.column("sources").to_pylist()[2][0]["id"] == "s1"


def test_parquet_writer_is_atomic_and_names_bad_extensions(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    out.write_bytes(b"previous complete results")
    with pytest.raises(RuntimeError), open_writer(out) as w:
        for _ in range(2500):  # two batches hit the temp file
            w.write(REPORTS[0])
        raise RuntimeError("crash mid-run")
    assert out.read_bytes() == b"previous complete results"
    assert [p.name for p in tmp_path.iterdir()] == ["r.parquet"]
    with open_writer(tmp_path / "empty.parquet"):
        pass
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0
    with pytest.raises(UnspinError, match=r"\.jsonl.*\.parquet"):
        open_writer(tmp_path / "r.csv")


# -- CLI -----------------------------------------------------------------------------------


def test_cli_traces_a_warc_into_parquet(tmp_path: Path) -> None:
    src_url = "https://gazette.example/2024/05/night-ferry"
    original = tmp_path / "ferry.html"
    original.write_text(page("ferry", url=src_url, date="2024-05-02"), encoding="utf-8")
    spun_paras = [
        para.replace("night ferry", "late-night boat")
        .replace("said", "stated")
        .replace("told reporters", "informed journalists")
        .replace("complained", "grumbled")
        for para in ARTICLES["ferry"][1]
    ]
    buf = io.BytesIO()
    w = warcio_writer.WARCWriter(buf, gzip=True)
    for uri, html in (
        ("https://copycat.example/boat", page("ferry", paras=spun_paras)),
        ("https://other.example/orchard", page("orchard")),
    ):
        body = html.encode()
        w.write_record(
            w.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(body),
                http_headers=http_response(body, "text/html"),
            )
        )
    crawl = tmp_path / "crawl.warc.gz"
    crawl.write_bytes(buf.getvalue())
    db = tmp_path / "refs.db"
    run = [sys.executable, "-m", "unspin"]
    r = subprocess.run(
        [*run, "index", "add", str(db), str(original)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    results = tmp_path / "results.parquet"
    r = subprocess.run(
        [*run, "trace", str(crawl), "--archive", str(db), "--out", str(results)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert f"wrote 2 reports to {results}" in r.stderr
    rows = pq.read_table(results).to_pylist()
    assert [row["id"] for row in rows] == [
        "https://copycat.example/boat",
        "https://other.example/orchard",
    ]
    assert rows[0]["verdict"] == "copy" and rows[0]["sources"][0]["id"] == src_url
    assert any(s["original"] for s in rows[0]["substitutions"])
    assert rows[1]["verdict"] == "no-source" and rows[1]["sources"] == []
    r = subprocess.run(
        [*run, "trace", str(crawl), "--archive", str(db), "--out", str(tmp_path / "r.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr and ".parquet" in r.stderr
