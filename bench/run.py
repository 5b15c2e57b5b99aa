"""``make bench``: dbsense side by side with squawk and sqlfluff on the same inputs.

Times whole processes (wall and CPU, median/min/max over several runs), reports peak RSS, the
1k -> 50k growth per statement, dbsense's coverage line, and ratios to the peers. Prints a
Markdown report; ``--output FILE`` also writes it. Benchmarks, not tests: nothing asserts.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.realistic import write_inputs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SIZES = (1_000, 10_000, 50_000)
RUNS = {1_000: 5, 10_000: 3, 50_000: 1, "realistic": 5, "single": 10}
# sqlfluff lints the whole input when it finishes within SQLFLUFF_LIMIT seconds, otherwise about
# SQLFLUFF_SLICE statements, extrapolated per statement.
SQLFLUFF_LIMIT = 300.0
SQLFLUFF_SLICE = 1_000
EDIT_STATEMENT = "CREATE TABLE bench_edit (id bigint PRIMARY KEY, note text);\n"
COVERAGE = re.compile(r"analysed ([\d,]+) of ([\d,]+) statements")


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]
    rss_kb: int
    output: str

    def cell(self) -> str:
        median, low, high = statistics.median(self.wall), min(self.wall), max(self.wall)
        return f"{median:.3f} ({low:.3f}-{high:.3f})"

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def child_env() -> dict[str, str]:
    """The user's environment as installed: byte-code caches written and read."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)  # measure the installed tools, not a source tree
    return env


def run_once(command: list[str], cwd: Path | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user+sys, children included), peak RSS in KB, output."""
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd, env=child_env()
        )
        _, _, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = 0
        sink.seek(0)
        output = sink.read().decode("utf-8", "replace")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, output


def measure(command: list[str], runs: int, before=None, cwd: Path | None = None) -> Timing:
    walls, cpus, rss, output = [], [], 0, ""
    for _ in range(runs):
        if before is not None:
            before()
        wall, cpu, peak, output = run_once(command, cwd)
        walls.append(wall)
        cpus.append(cpu)
        rss = max(rss, peak)
    return Timing(walls, cpus, rss, output)


def sql_files(directory: Path) -> list[str]:
    return sorted(
        str(path) for path in directory.rglob("*.sql") if ".dbsense_cache" not in path.parts
    )


def coverage(output: str) -> tuple[int, int] | None:
    match = COVERAGE.search(output)
    if match is None:
        return None
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def sqlfluff_input(
    files: list[str], statements: int, target: Path, whole: bool
) -> tuple[Path, float]:
    """Copy the input (``whole``) or its leading files holding about ``SQLFLUFF_SLICE``
    statements (of a single large file: its first statements) into ``target``; returns it and
    the share of the input it holds."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    # sqlfluff skips files over 20 kB by default; lint everything, as dbsense and squawk do.
    (target / ".sqlfluff").write_text(
        "[sqlfluff]\ndialect = postgres\nlarge_file_skip_byte_limit = 0\n", encoding="utf-8"
    )
    if whole:
        for number, file in enumerate(files):
            shutil.copy(file, target / f"{number:06d}_{Path(file).name}")
        return target, 1.0
    if len(files) == 1:
        text = Path(files[0]).read_text(encoding="utf-8")
        chunks = text.split(";\n")
        part = ";\n".join(chunks[:SQLFLUFF_SLICE]) + ";\n"
        (target / "slice.sql").write_text(part, encoding="utf-8")
        return target, min(1.0, SQLFLUFF_SLICE / max(statements, 1))
    total = sum(Path(file).stat().st_size for file in files)
    wanted = total * SQLFLUFF_SLICE / max(statements, 1)
    size = 0
    for number, file in enumerate(files):
        if size >= wanted:
            break
        shutil.copy(file, target / f"{number:06d}_{Path(file).name}")
        size += Path(file).stat().st_size
    return target, size / total


def generate(statements: int, out: Path) -> Path:
    """A generated workspace of ``statements`` statements (made once, reused by later runs)."""
    target = out / f"generated-{statements}"
    if not target.is_dir() or not sql_files(target):
        shutil.rmtree(target, ignore_errors=True)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.generate",
                "--statements",
                str(statements),
                "--out",
                str(target),
            ],
            cwd=ROOT,
            check=False,
        )
        if result.returncode != 0 or not sql_files(target):
            raise SystemExit(
                f"bench: `python -m bench.generate` failed for {statements} statements"
            )
    return target


def middle_file(directory: Path) -> Path:
    files = sql_files(directory)
    return Path(files[len(files) // 2])


def touch_one(directory: Path):
    """A callable that changes the content of one migration, not its statements (a comment
    added: one cache miss per run, the last result reused)."""
    file = middle_file(directory)
    counter = iter(range(1_000_000))

    def touch() -> None:
        with open(file, "a", encoding="utf-8") as handle:
            handle.write(f"-- touched {next(counter)}\n")

    return touch


def edit_one(directory: Path):
    """A callable that adds a statement to one migration and takes it away again, in turns
    (its facts change on every run: a full check), and one that puts the file back."""
    file = middle_file(directory)
    original = file.read_text(encoding="utf-8")
    versions = itertools.cycle([original + EDIT_STATEMENT, original])

    def edit() -> None:
        file.write_text(next(versions), encoding="utf-8")

    def restore() -> None:
        file.write_text(original, encoding="utf-8")

    return edit, restore


def version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=child_env())
    except OSError:
        return "not installed"
    return (result.stdout or result.stderr).strip().splitlines()[0]


def machine(dbsense: str) -> list[str]:
    python = str(Path(dbsense).parent / "python")
    probe = (
        "import sqlglot, sqlglot.tokenizer_core as t; "
        "print(sqlglot.__version__, 'compiled, sqlglotc' if t.__file__.endswith('.so') "
        "else 'pure Python')"
    )
    sqlglot = version([python, "-c", probe])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        f"- machine: {platform.system()} {platform.machine()}, {cpus} CPUs, "
        f"Python {platform.python_version()}, load average at start {load:.2f}",
        f"- {version([dbsense, '--version'])}; sqlglot {sqlglot}",
        f"- {version([str(BIN / 'squawk'), '--version'])}; "
        f"sqlfluff {version([str(BIN / 'sqlfluff'), '--version']).split()[-1]}",
    ]


def bench_input(
    name: str, directory: Path, runs: int, work: Path, sqlfluff: bool, dbsense: str
) -> dict:
    files = sql_files(directory)
    shutil.rmtree(directory / ".dbsense_cache", ignore_errors=True)
    check = [dbsense, "check", str(directory), "--exit-zero"]
    run_once([*check, "--no-cache"])  # warm byte code
    cold = measure([*check, "--no-cache"], runs)
    run_once(check)  # fill the cache
    warm = measure(check, runs, touch_one(directory))
    edit, restore = edit_one(directory)
    try:
        edited = measure(check, runs, edit)
    finally:
        restore()
    # One line per finding, as dbsense's text output: squawk's default reporter draws a source
    # snippet for every finding, which on a large file costs it more than the lint itself.
    squawk = measure([str(BIN / "squawk"), "--reporter", "gcc", *files], runs)
    squawk_snippets = measure([str(BIN / "squawk"), *files], runs)
    counts = coverage(cold.output)
    if counts is None:
        raise SystemExit(f"bench: dbsense failed on {name}:\n{cold.output[-2000:]}")
    row = {
        "name": name,
        "files": len(files),
        "statements": counts[1],
        "analysed": counts[0],
        "cold": cold,
        "warm": warm,
        "edited": edited,
        "squawk": squawk,
        "squawk_snippets": squawk_snippets,
        "sqlfluff": None,
        "share": 1.0,
    }
    if sqlfluff:
        row["sqlfluff"], row["share"] = sqlfluff_time(name, files, counts[1], work)
    return row


def sqlfluff_time(name: str, files: list[str], statements: int, work: Path) -> tuple[float, float]:
    """sqlfluff's wall seconds on the whole input, or on a slice when the whole takes longer
    than ``SQLFLUFF_LIMIT``; and the share of the input it linted."""
    target = work / ("sqlfluff-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
    for whole in (True, False):
        linted, share = sqlfluff_input(files, statements, target, whole)
        lint = [str(BIN / "sqlfluff"), "lint", "--dialect", "postgres", "--nofail", str(linted)]
        seconds = run_limited(lint, SQLFLUFF_LIMIT)
        if seconds is not None:
            return seconds, share
        print(f"bench: sqlfluff took over {SQLFLUFF_LIMIT:.0f} s on {name}: slice", file=sys.stderr)
    raise SystemExit(f"bench: sqlfluff did not finish a slice of {name}")


def run_limited(command: list[str], limit: float) -> float | None:
    """Wall seconds of ``command`` (output discarded), or ``None`` when it ran past ``limit``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env()
    )
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
    return time.perf_counter() - start


def report(rows: list[dict], header: list[str], command: str, rss_row: dict | None) -> str:
    lines = [
        "## Results",
        "",
        *header,
        f"- command: `{command}`",
        "",
        "Wall seconds, median (min-max); CPU = user+sys of the process tree (median).",
        "Warm runs start from a filled cache; before each, one migration in the middle of the",
        "input gets a comment added (its statements unchanged: the last result is reused), or",
        "a statement added and taken away in turns (new facts: a full check). Ratios are to",
        "squawk with `--reporter gcc` (one line per finding, like dbsense's text output).",
        "",
        "| input | files | statements | dbsense cold | CPU | dbsense warm (comment added) "
        "| dbsense warm (statement added) | squawk (gcc) | squawk (default reporter) "
        "| cold/squawk | warm/squawk (comment, statement) | sqlfluff | sqlfluff/cold |",
        "|---|---:|---:|---|---:|---|---|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        fluff = row["sqlfluff"]
        estimate = fluff / row["share"] if fluff else None
        fluff_cell = f"{estimate:.1f}" + ("" if row["share"] >= 1 else " (slice)") if fluff else "-"
        fluff_ratio = f"{estimate / row['cold'].median:.0f}x" if fluff else "-"
        squawk = row["squawk"].median
        lines.append(
            f"| {row['name']} | {row['files']} | {row['statements']:,} | {row['cold'].cell()} "
            f"| {row['cold'].cpu_median:.2f} | {row['warm'].cell()} | {row['edited'].cell()} "
            f"| {row['squawk'].cell()} | {row['squawk_snippets'].cell()} "
            f"| {row['cold'].median / squawk:.1f}x "
            f"| {row['warm'].median / squawk:.1f}x, {row['edited'].median / squawk:.1f}x "
            f"| {fluff_cell} | {fluff_ratio} |"
        )
    lines += ["", "Coverage (dbsense's own line):", ""]
    for row in rows:
        share = row["analysed"] / row["statements"] if row["statements"] else 1.0
        lines.append(
            f"- {row['name']}: analysed {row['analysed']:,} of {row['statements']:,} "
            f"statements ({share:.2%})"
        )
    growth = [row for row in rows if row["name"].startswith("generated")]
    if growth:
        lines += [
            "",
            "Growth (cold, per statement):",
            "",
            "| statements | wall ms/statement | CPU ms/statement |",
            "|---:|---:|---:|",
        ]
        for row in growth:
            count = max(row["statements"], 1)
            lines.append(
                f"| {row['statements']:,} | {row['cold'].median * 1000 / count:.3f} "
                f"| {row['cold'].cpu_median * 1000 / count:.3f} |"
            )
    if rss_row is not None:
        lines += [
            "",
            f"Peak RSS, cold check of {rss_row['statements']:,} statements: "
            f"dbsense {rss_row['cold'].rss_kb / 1024:.0f} MB (largest process), "
            f"squawk {rss_row['squawk'].rss_kb / 1024:.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--no-sqlfluff", action="store_true", help="skip sqlfluff (slow)")
    parser.add_argument("--output", type=Path, help="also write the Markdown report here")
    parser.add_argument(
        "--dbsense", default=str(BIN / "dbsense"), help="the dbsense executable to measure"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    header = machine(args.dbsense)
    realistic, single = write_inputs(args.out)
    inputs = [
        ("single (200 lines)", single, RUNS["single"]),
        ("realistic (structure.sql)", realistic, RUNS["realistic"]),
    ]
    inputs += [
        (f"generated {size:,}", generate(size, args.out), RUNS.get(size, 1)) for size in args.sizes
    ]
    rows, rss_row = [], None
    for name, directory, runs in inputs:
        print(f"bench: {name} ({runs} runs)", file=sys.stderr, flush=True)
        fluff = not args.no_sqlfluff and (
            name.startswith("single")
            or name.startswith("realistic")
            or name in ("generated 1,000", "generated 10,000")
        )
        row = bench_input(name, directory, runs, args.out, fluff, args.dbsense)
        rows.append(row)
        if name.startswith("generated") and (
            rss_row is None or row["statements"] > rss_row["statements"]
        ):
            rss_row = row
    if hasattr(os, "getloadavg"):  # a shared machine: say how busy it was
        header.append(f"- load average at end {os.getloadavg()[0]:.2f}")
    command = "make bench  # " + " ".join(["python -m bench.run", *(argv or sys.argv[1:])])
    text = report(rows, header, command.strip(), rss_row)
    sys.stdout.write(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
