"""The code signal: copies found and placed in lines through the edits that cost a copier
nothing (renaming, comments and layout, reordering, moving code between files), while
unrelated programs and shared boilerplate do not match; and object code flagged for
review."""

from __future__ import annotations

import inspect
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from safeharbor.signals.base import Fingerprint, Media, Role, SignalError, SignalMatch
from safeharbor.signals.code import CodeIndex, CodeSignal
from safeharbor.signals.code_tokens import tokenize
from safeharbor.signals.object_code import REVIEW_CAP, ObjectCodeSignal, reference_items

SIG = CodeSignal()


@dataclass(frozen=True)
class Lang:
    ext: str
    header: str  # imports / includes: dropped, so shared headers are no evidence
    funcs: tuple[str, ...]  # the program's top-level definitions, in order
    renames: tuple[tuple[str, str], ...]
    comment: str
    swap: tuple[str, str]  # two adjacent independent statements of funcs[0]
    unrelated: str  # another realistic program in the same language


def fps(text: str, name: str, role: Role = Role.QUERY) -> list[Fingerprint]:
    return SIG.extract(Media("code", "text/plain", data=text.encode(), name=name), role)


def program(lang: Lang, funcs: tuple[str, ...] | list[str]) -> str:
    return lang.header + "\n" + "\n".join(funcs)


def lines_of(text: str, snippet: str) -> tuple[int, int]:
    """1-based first and last line of ``snippet`` in ``text``."""
    start = text.index(snippet)
    first = text.count("\n", 0, start) + 1
    return first, first + snippet.rstrip("\n").count("\n")


def rename(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for old, new in pairs:
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text


def recomment(text: str, comment: str) -> str:
    """A comment after every other line, blank lines doubled, trailing blanks added."""
    out = []
    for i, line in enumerate(text.splitlines()):
        out.append(line + "   ")
        if i % 2 and line.strip() and not line.rstrip().endswith(("\\", ",")):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}{comment} note {i}: see the design document")
        if not line.strip():
            out.append("")
    return "\n".join(out) + "\n"


def index_of(*refs: tuple[int, list[tuple[str, str]]]) -> CodeIndex:
    idx = CodeIndex()
    for ref_id, files in refs:
        idx.add(ref_id, [fp for text, name in files for fp in fps(text, name, Role.REFERENCE)])
    return idx


def best(idx: CodeIndex, query: list[Fingerprint]) -> SignalMatch | None:
    matches = idx.search(query, 0.0)
    return matches[0] if matches else None


def assert_within(span: tuple[float, float], outer: tuple[int, int], cover: float) -> None:
    """The span lies within ``outer`` and covers ``cover`` of it. Two lines of slack: a
    k-gram of the last tokens of one function and the first of the next can match where
    both files have the same function boundary, so a passage may reach past the end."""
    lo, hi = outer
    assert lo - 2 <= span[0] <= span[1] <= hi + 2, (span, outer)
    assert span[1] - span[0] + 1 >= cover * (hi - lo + 1), (span, outer)


# --------------------------------------------------------------------------- programs

PY = Lang(
    ext="py",
    header="import os\nimport sys\nfrom collections import defaultdict\n",
    funcs=(
        """def load_inventory(path, warehouse):
    totals = defaultdict(int)
    seen = set()
    with open(path, encoding="utf-8") as handle:
        for number, row in enumerate(handle, 1):
            fields = row.rstrip("\\n").split(";")
            if len(fields) != 3:
                raise ValueError(f"line {number}: expected 3 fields")
            sku, place, amount = fields
            if place != warehouse or sku in seen:
                continue
            seen.add(sku)
            totals[sku] += int(amount)
    return dict(totals)
""",
        """def reorder_list(totals, minimum, batch=12):
    orders = []
    for sku, amount in sorted(totals.items()):
        if amount >= minimum:
            continue
        missing = minimum - amount
        boxes = (missing + batch - 1) // batch
        orders.append((sku, boxes * batch))
    orders.sort(key=lambda item: (-item[1], item[0]))
    return orders
""",
        """class Ledger:
    def __init__(self, owner):
        self.owner = owner
        self.entries = []
        self.balance = 0

    def record(self, amount, memo=""):
        if not isinstance(amount, int):
            raise TypeError("amounts are whole cents")
        self.entries.append((len(self.entries), amount, memo))
        self.balance += amount
        return self.balance

    def statement(self):
        lines = [f"{i:4d} {amount:10d} {memo}" for i, amount, memo in self.entries]
        lines.append(f"balance {self.balance:10d}")
        return "\\n".join(lines)
""",
    ),
    renames=(
        ("load_inventory", "read_stock"),
        ("totals", "acc"),
        ("seen", "done"),
        ("handle", "fh"),
        ("fields", "parts"),
        ("amount", "qty"),
        ("Ledger", "Book"),
        ("entries", "items"),
    ),
    comment="#",
    swap=("    totals = defaultdict(int)\n", "    seen = set()\n"),
    unrelated="""import re


def tokenize_expression(source):
    pattern = re.compile(r"\\s*(?:(\\d+)|(.))")
    tokens = []
    for number, operator in pattern.findall(source):
        if number:
            tokens.append(("num", int(number)))
        elif operator in "+-*/()":
            tokens.append(("op", operator))
        else:
            raise SyntaxError(operator)
    return tokens


def evaluate(tokens):
    def parse_sum(pos):
        value, pos = parse_product(pos)
        while pos < len(tokens) and tokens[pos][1] in "+-":
            op = tokens[pos][1]
            right, pos = parse_product(pos + 1)
            value = value + right if op == "+" else value - right
        return value, pos

    def parse_product(pos):
        value, pos = parse_atom(pos)
        while pos < len(tokens) and tokens[pos][1] in "*/":
            op = tokens[pos][1]
            right, pos = parse_atom(pos + 1)
            value = value * right if op == "*" else value // right
        return value, pos

    def parse_atom(pos):
        kind, value = tokens[pos]
        if kind == "num":
            return value, pos + 1
        if value == "(":
            value, pos = parse_sum(pos + 1)
            return value, pos + 1
        raise SyntaxError(value)

    return parse_sum(0)[0]
""",
)

C = Lang(
    ext="c",
    header="#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n",
    funcs=(
        """static unsigned long checksum_block(const unsigned char *data, size_t length)
{
    unsigned long sum_a = 1;
    unsigned long sum_b = 0;
    size_t position;
    for (position = 0; position < length; position++) {
        sum_a = (sum_a + data[position]) % 65521;
        sum_b = (sum_b + sum_a) % 65521;
    }
    if (length == 0) {
        fprintf(stderr, "checksum of an empty block requested\\n");
    }
    return (sum_b << 16) | sum_a;
}
""",
        """struct record *parse_record(char *line, int *error_count)
{
    struct record *rec = calloc(1, sizeof *rec);
    char *field = strtok(line, ",");
    int column = 0;
    while (field != NULL && column < 4) {
        switch (column) {
        case 0: rec->id = atoi(field); break;
        case 1: strncpy(rec->name, field, sizeof rec->name - 1); break;
        case 2: rec->weight = strtod(field, NULL); break;
        default: rec->flags |= 1u << (atoi(field) & 7); break;
        }
        field = strtok(NULL, ",");
        column++;
    }
    if (column < 4) {
        (*error_count)++;
        free(rec);
        return NULL;
    }
    return rec;
}
""",
        """int merge_sorted(const int *left, int nl, const int *right, int nr, int *out)
{
    int i = 0, j = 0, k = 0;
    while (i < nl && j < nr) {
        if (left[i] <= right[j]) out[k++] = left[i++];
        else out[k++] = right[j++];
    }
    while (i < nl) out[k++] = left[i++];
    while (j < nr) out[k++] = right[j++];
    return k;
}
""",
    ),
    renames=(
        ("checksum_block", "adler_sum"),
        ("sum_a", "lo"),
        ("sum_b", "hi"),
        ("position", "p"),
        ("parse_record", "read_row"),
        ("field", "tok"),
        ("column", "col"),
        ("merge_sorted", "combine"),
    ),
    comment="//",
    swap=("    unsigned long sum_a = 1;\n", "    unsigned long sum_b = 0;\n"),
    unrelated="""#include <stdio.h>
#include <stdlib.h>

typedef struct node { int key; struct node *next; } node;

static node *table[64];

static unsigned hash_key(int key) { return (unsigned)key * 2654435761u % 64; }

int table_insert(int key)
{
    node *n = malloc(sizeof *n);
    if (!n) return -1;
    n->key = key;
    n->next = table[hash_key(key)];
    table[hash_key(key)] = n;
    return 0;
}

int table_contains(int key)
{
    for (node *n = table[hash_key(key)]; n; n = n->next)
        if (n->key == key) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) table_insert(atoi(argv[i]));
    printf("%d\\n", table_contains(42));
    return 0;
}
""",
)

JAVA = Lang(
    ext="java",
    header="package org.example.shop;\n\nimport java.util.ArrayList;\nimport java.util.List;\n",
    funcs=(
        """public class PriceCalculator {
    private final double taxRate;
    private final List<Double> discounts = new ArrayList<>();

    public PriceCalculator(double taxRate) {
        this.taxRate = taxRate;
    }

    public void addDiscount(double share) {
        if (share <= 0 || share >= 1) {
            throw new IllegalArgumentException("discount must be between 0 and 1");
        }
        discounts.add(share);
    }

    public double total(double net, int quantity) {
        double gross = net * quantity;
        for (double d : discounts) {
            gross = gross * (1 - d);
        }
        return Math.round(gross * (1 + taxRate) * 100) / 100.0;
    }
}
""",
        """class InvoiceNumbers {
    private int next = 1000;
    private final String prefix;

    InvoiceNumbers(String prefix) {
        this.prefix = prefix;
    }

    synchronized String issue() {
        String number = prefix + "-" + next;
        next += 1;
        return number;
    }
}
""",
    ),
    renames=(
        ("PriceCalculator", "Pricing"),
        ("taxRate", "vat"),
        ("discounts", "cuts"),
        ("gross", "amount"),
        ("InvoiceNumbers", "Counter"),
        ("prefix", "tag"),
    ),
    comment="//",
    swap=(
        "    private final double taxRate;\n",
        "    private final List<Double> discounts = new ArrayList<>();\n",
    ),
    unrelated="""package org.example.graph;

import java.util.ArrayDeque;
import java.util.List;

public final class Bfs {
    private Bfs() {}

    public static int[] distances(List<List<Integer>> graph, int source) {
        int[] dist = new int[graph.size()];
        java.util.Arrays.fill(dist, -1);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        dist[source] = 0;
        queue.add(source);
        while (!queue.isEmpty()) {
            int u = queue.poll();
            for (int v : graph.get(u)) {
                if (dist[v] < 0) {
                    dist[v] = dist[u] + 1;
                    queue.add(v);
                }
            }
        }
        return dist;
    }
}
""",
)

JS = Lang(
    ext="js",
    header="import fs from 'fs';\nimport path from 'path';\n",
    funcs=(
        """function debounce(callback, waitMs) {
  let timer = null;
  let lastArgs = [];
  return function debounced(...args) {
    lastArgs = args;
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      callback.apply(this, lastArgs);
    }, waitMs);
  };
}
""",
        """export function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    if (!groups.has(key)) {
      groups.set(key, []);
    }
    groups.get(key).push(item);
  }
  return Array.from(groups.entries()).sort((a, b) => b[1].length - a[1].length);
}
""",
        """export class TaskQueue {
  constructor(limit = 4) {
    this.limit = limit;
    this.running = 0;
    this.waiting = [];
  }

  push(task) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      this.next();
    });
  }

  next() {
    while (this.running < this.limit && this.waiting.length > 0) {
      const { task, resolve, reject } = this.waiting.shift();
      this.running += 1;
      task().then(resolve, reject).finally(() => {
        this.running -= 1;
        this.next();
      });
    }
  }
}
""",
    ),
    renames=(
        ("debounce", "quiet"),
        ("timer", "handle"),
        ("lastArgs", "saved"),
        ("groupBy", "bucket"),
        ("groups", "acc"),
        ("TaskQueue", "Pool"),
        ("waiting", "pending"),
    ),
    comment="//",
    swap=("  let timer = null;\n", "  let lastArgs = [];\n"),
    unrelated="""import fs from 'fs';

export function parseCsv(text, separator = ',') {
  const rows = [];
  let field = '';
  let row = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') { quoted = false; }
      else { field += ch; }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === separator) {
      row.push(field); field = '';
    } else if (ch === '\\n') {
      row.push(field); rows.push(row); row = []; field = '';
    } else {
      field += ch;
    }
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

export function readCsv(file) {
  return parseCsv(fs.readFileSync(file, 'utf8'));
}
""",
)

GO = Lang(
    ext="go",
    header='package inventory\n\nimport (\n\t"errors"\n\t"fmt"\n\t"sort"\n)\n',
    funcs=(
        """func Restock(levels map[string]int, minimum int, batch int) ([]Order, error) {
	orders := make([]Order, 0, len(levels))
	skipped := 0
	if batch <= 0 {
		return nil, errors.New("batch size must be positive")
	}
	for sku, level := range levels {
		if level >= minimum {
			skipped++
			continue
		}
		boxes := (minimum - level + batch - 1) / batch
		orders = append(orders, Order{SKU: sku, Units: boxes * batch})
	}
	sort.Slice(orders, func(i, j int) bool { return orders[i].Units > orders[j].Units })
	return orders, nil
}
""",
        """type Order struct {
	SKU   string
	Units int
}

func (o Order) String() string {
	return fmt.Sprintf("%s x%d", o.SKU, o.Units)
}
""",
        """func Summarise(orders []Order) (total int, largest Order) {
	for _, o := range orders {
		total += o.Units
		if o.Units > largest.Units {
			largest = o
		}
	}
	if total > 10000 {
		fmt.Println("warning: unusually large restock")
	}
	return total, largest
}
""",
    ),
    renames=(
        ("Restock", "Refill"),
        ("levels", "stock"),
        ("orders", "out"),
        ("skipped", "n"),
        ("boxes", "packs"),
        ("Summarise", "Totals"),
        ("largest", "top"),
    ),
    comment="//",
    swap=("\torders := make([]Order, 0, len(levels))\n", "\tskipped := 0\n"),
    unrelated="""package ring

import "sync"

// Buffer is a fixed-size ring buffer safe for concurrent use.
type Buffer struct {
	mu    sync.Mutex
	data  []float64
	start int
	size  int
}

func New(capacity int) *Buffer {
	return &Buffer{data: make([]float64, capacity)}
}

func (b *Buffer) Push(v float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	end := (b.start + b.size) % len(b.data)
	b.data[end] = v
	if b.size < len(b.data) {
		b.size++
	} else {
		b.start = (b.start + 1) % len(b.data)
	}
}

func (b *Buffer) Mean() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.size == 0 {
		return 0
	}
	sum := 0.0
	for i := 0; i < b.size; i++ {
		sum += b.data[(b.start+i)%len(b.data)]
	}
	return sum / float64(b.size)
}
""",
)

CPP = Lang(
    ext="cpp",
    header="#include <map>\n#include <string>\n#include <vector>\nusing namespace std;\n",
    funcs=(
        """vector<string> split_words(const string &text, char separator)
{
    vector<string> words;
    string current;
    for (char ch : text) {
        if (ch == separator) {
            if (!current.empty()) words.push_back(current);
            current.clear();
        } else {
            current += ch;
        }
    }
    if (!current.empty()) words.push_back(current);
    return words;
}
""",
        """map<string, int> count_words(const vector<string> &words, size_t min_length)
{
    map<string, int> counts;
    for (const auto &word : words) {
        if (word.size() < min_length) continue;
        counts[word] += 1;
    }
    for (auto it = counts.begin(); it != counts.end();) {
        if (it->second == 1) it = counts.erase(it);
        else ++it;
    }
    return counts;
}
""",
    ),
    renames=(
        ("split_words", "tokens"),
        ("current", "buf"),
        ("words", "parts"),
        ("count_words", "histogram"),
        ("counts", "hist"),
    ),
    comment="//",
    swap=("    vector<string> words;\n", "    string current;\n"),
    unrelated="""#include <vector>

class Matrix {
public:
    Matrix(int rows, int cols) : rows_(rows), cols_(cols), cells_(rows * cols, 0.0) {}
    double &at(int r, int c) { return cells_[r * cols_ + c]; }
    Matrix multiply(Matrix &other) {
        Matrix out(rows_, other.cols_);
        for (int i = 0; i < rows_; ++i)
            for (int k = 0; k < cols_; ++k)
                for (int j = 0; j < other.cols_; ++j)
                    out.at(i, j) += at(i, k) * other.at(k, j);
        return out;
    }
private:
    int rows_, cols_;
    std::vector<double> cells_;
};
""",
)

LANGS = {"python": PY, "c": C, "java": JAVA, "javascript": JS, "go": GO, "cpp": CPP}
ALL = sorted(LANGS)


def ref_index(lang: Lang) -> tuple[CodeIndex, str]:
    text = program(lang, lang.funcs)
    return index_of((1, [(text, f"orig.{lang.ext}")])), text


# --------------------------------------------------------------------------- transformations


@pytest.mark.parametrize("name", ALL)
def test_verbatim_copy_of_one_function_is_found_and_placed(name: str) -> None:
    lang = LANGS[name]
    idx, ref = ref_index(lang)
    func = lang.funcs[0]
    query = "// uploaded\n\n\n" if lang.ext != "py" else "# uploaded\n\n\n"
    query += func
    m = best(idx, fps(query, f"up.{lang.ext}"))
    # one short function (10-25 lines) is enough for the priority threshold; whole
    # programs (the tests below) reach the acting one
    assert m is not None and m.ref_id == 1 and m.score >= 0.65
    assert m.query_span is not None and m.reference_span is not None
    assert m.query_span.unit == "line"
    assert_within(m.query_span.as_list(), lines_of(query, func), 0.6)
    assert_within(m.reference_span.as_list(), lines_of(ref, func), 0.6)


@pytest.mark.parametrize("name", ALL)
def test_renamed_identifiers_still_match(name: str) -> None:
    lang = LANGS[name]
    idx, _ = ref_index(lang)
    query = rename(program(lang, lang.funcs), lang.renames)
    assert query != program(lang, lang.funcs)
    m = best(idx, fps(query, f"up.{lang.ext}"))
    assert m is not None and m.score >= 0.80


@pytest.mark.parametrize("name", ALL)
def test_comments_and_white_space_changed_still_match_with_right_lines(name: str) -> None:
    lang = LANGS[name]
    idx, ref = ref_index(lang)
    query = recomment(program(lang, lang.funcs), lang.comment)
    m = best(idx, fps(query, f"up.{lang.ext}"))
    assert m is not None and m.score >= 0.80
    # the copy is placed on the reference's lines, not the (longer) upload's
    assert m.reference_span is not None
    assert m.reference_span.end <= ref.count("\n") + 1
    first = lines_of(ref, lang.funcs[0])[0]
    assert m.reference_span.start <= first + 3


@pytest.mark.parametrize("name", ALL)
def test_reordered_functions_and_statements_still_match_per_passage(name: str) -> None:
    lang = LANGS[name]
    idx, ref = ref_index(lang)
    a, b = lang.swap
    first = lang.funcs[0]
    assert a + b in first
    funcs = [first.replace(a + b, b + a), *lang.funcs[1:]]
    query = program(lang, funcs[::-1])  # functions in reverse order too
    m = best(idx, fps(query, f"up.{lang.ext}"))
    assert m is not None and m.score >= 0.80
    passages = m.evidence["passages"]
    # the first function sits at the end of the upload and the start of the reference:
    # one passage must say so
    q_lines = lines_of(query, funcs[0])
    r_lines = lines_of(ref, first)
    assert any(
        q_lines[0] - 1 <= p["query_lines"][0] <= q_lines[1]
        and r_lines[0] - 1 <= p["reference_lines"][0] <= r_lines[1]
        for p in passages
    ), passages


@pytest.mark.parametrize("name", ALL)
def test_code_moved_between_files_is_found_in_each_file(name: str) -> None:
    lang = LANGS[name]
    f0, f1 = lang.funcs[0], lang.funcs[1]
    file_a = program(lang, [f0])
    file_b = program(lang, lang.funcs[1:])
    idx = index_of((7, [(file_a, f"a.{lang.ext}"), (file_b, f"b.{lang.ext}")]))
    query = program(lang, [rename(f1, lang.renames), rename(f0, lang.renames)])
    m = best(idx, fps(query, f"mixed.{lang.ext}"))
    assert m is not None and m.ref_id == 7 and m.score >= 0.80
    by_file = {p["reference_file"]: p for p in m.evidence["passages"]}
    assert set(by_file) == {f"a.{lang.ext}", f"b.{lang.ext}"}
    assert_within(by_file[f"a.{lang.ext}"]["reference_lines"], lines_of(file_a, f0), 0.5)
    assert_within(by_file[f"b.{lang.ext}"]["reference_lines"], lines_of(file_b, f1), 0.5)
    q1 = lines_of(query, rename(f1, lang.renames))
    assert_within(by_file[f"b.{lang.ext}"]["query_lines"], q1, 0.5)


# --------------------------------------------------------------------------- what must not match


@pytest.mark.parametrize("name", ALL)
def test_unrelated_program_of_the_same_language_stays_below_priority(name: str) -> None:
    lang = LANGS[name]
    idx, _ = ref_index(lang)
    ext = "cpp" if name == "cpp" else lang.ext
    for m in idx.search(fps(lang.unrelated, f"other.{ext}"), 0.0):
        assert m.score < 0.65, m.evidence


def test_unrelated_standard_library_modules_do_not_reach_priority() -> None:
    import argparse
    import calendar
    import difflib
    import fractions
    import heapq
    import json.decoder
    import shlex
    import textwrap

    mods = [argparse, calendar, difflib, fractions, heapq, json.decoder, shlex, textwrap]
    sources = [(inspect.getsource(mod), mod.__name__ + ".py") for mod in mods]
    idx = index_of(*[(i, [s]) for i, s in enumerate(sources)])
    for i, (text, name) in enumerate(sources):
        matches = idx.search(fps(text, name), 0.0)
        assert matches and matches[0].ref_id == i and matches[0].score >= 0.95
        assert all(m.score < 0.65 for m in matches if m.ref_id != i), [
            (m.ref_id, m.score) for m in matches
        ]


LICENCE = """\
Copyright (c) 2021 Example Corporation and contributors.

Licensed under the Apache License, Version 2.0 (the "License"); you may not use this
file except in compliance with the License. You may obtain a copy of the License at
http://www.apache.org/licenses/LICENSE-2.0. Unless required by applicable law or agreed
to in writing, software distributed under the License is distributed on an "AS IS"
BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""


#: the imports most programs of a language start with: a long shared run of tokens
COMMON_IMPORTS = {
    "python": "".join(
        f"import {m}\n"
        for m in ["os", "sys", "re", "json", "logging", "argparse", "typing", "pathlib", "time"]
    )
    + "from collections import defaultdict, OrderedDict\nfrom typing import Any, Optional\n",
    "c": "".join(
        f"#include <{h}.h>\n"
        for h in ["stdio", "stdlib", "string", "errno", "unistd", "stdint", "ctype"]
    ),
    "java": "package org.example.app;\n\n"
    + "".join(f"import java.util.{c};\n" for c in ["List", "Map", "HashMap", "ArrayList", "Set"])
    + "import java.io.IOException;\nimport java.nio.file.Files;\n",
    "go": 'package main\n\nimport (\n\t"errors"\n\t"fmt"\n\t"io"\n\t"os"\n\t"strings"\n)\n',
}


@pytest.mark.parametrize("name", sorted(COMMON_IMPORTS))
def test_shared_licence_header_and_imports_are_not_a_match(name: str) -> None:
    lang = LANGS[name]
    mark = "# " if name == "python" else " * "
    body = "".join(mark + line + "\n" for line in LICENCE.splitlines())
    head = body if name == "python" else "/*\n" + body + " */\n"
    ours = head + COMMON_IMPORTS[name] + lang.funcs[0]
    theirs = head + COMMON_IMPORTS[name] + lang.unrelated
    idx = index_of((1, [(ours, f"ours.{lang.ext}")]))
    assert idx.search(fps(theirs, f"theirs.{lang.ext}"), 0.0) == []


def test_generated_reference_files_give_no_kgrams_but_uploads_do() -> None:
    text = "// Code generated by stringer; DO NOT EDIT.\n\n" + program(GO, GO.funcs)
    ref = fps(text, "gen.go", Role.REFERENCE)
    assert not [fp for fp in ref if fp.kind in ("kgrams", "verbatim")]
    assert [fp for fp in fps(text, "gen.go") if fp.kind == "kgrams"]
    assert [fp for fp in fps(text, "gen.go") if fp.kind == "verbatim"]


# --------------------------------------------------------------------------- index, bad input


def test_remove_removes_only_that_reference() -> None:
    idx = index_of((1, [(program(PY, PY.funcs), "a.py")]), (2, [(program(C, C.funcs), "b.c")]))
    assert len(idx) == 2
    q_py, q_c = fps(program(PY, PY.funcs), "q.py"), fps(program(C, C.funcs), "q.c")
    assert [m.ref_id for m in idx.search(q_py, 0.65)] == [1]
    idx.remove(1)
    assert len(idx) == 1
    assert idx.search(q_py, 0.0) == []
    assert [m.ref_id for m in idx.search(q_c, 0.65)] == [2]
    idx.remove(1)  # removing twice is harmless


def test_language_comes_from_the_name_and_falls_back_to_guessing() -> None:
    text = program(GO, GO.funcs)
    (named,) = [fp for fp in fps(text, "x.go") if fp.kind == "kgrams"]
    assert named.meta["language"] == "go"
    (guessed,) = [fp for fp in fps(program(PY, PY.funcs), "") if fp.kind == "kgrams"]
    assert guessed.meta["language"] == "python"


@pytest.mark.parametrize("data", [b"", b"   \n\n", bytes(range(256)) * 40, b"\x7fELF\x00\x01" * 90])
def test_empty_or_binary_input_gives_nothing_or_signal_error(data: bytes) -> None:
    try:
        out = SIG.extract(Media("code", "text/plain", data=data, name="x.c"), Role.QUERY)
    except SignalError as exc:
        assert str(exc)
    else:
        assert out == []


# --------------------------------------------------------------------------- object code


def test_reference_source_carries_distinctive_symbols_only() -> None:
    ref = fps(program(C, C.funcs), "lib.c", Role.REFERENCE)
    sym = [fp for fp in ref if fp.kind == "symbols"]
    assert len(sym) == 1 and sym[0].signal == ObjectCodeSignal.name
    items = reference_items(tokenize(program(C, C.funcs), "lib.c"))
    # its own functions and its message, as the compiler stores it (no "\n")
    assert {"checksum_block", "parse_record", "merge_sorted"} <= items
    assert "checksum of an empty block requested" in items
    # not the library functions it calls, nor short or common names
    assert not items & {"strtok", "calloc", "fprintf", "strncpy", "atoi", "free", "main"}
    assert sym[0].meta["items"] == len(items)
    assert fps(program(C, C.funcs), "lib.c", Role.QUERY) == [
        fp for fp in ref if fp.kind != "symbols"
    ]


CC = shutil.which("gcc") or shutil.which("cc")

#: a small real-looking tool: its own functions and messages are what a binary keeps
TOOL_C = r"""#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct setting { char key[64]; char value[192]; };

int settings_load(const char *path, struct setting *out, int capacity)
{
    char line[256];
    int count = 0;
    FILE *fh = fopen(path, "r");
    if (fh == NULL) {
        fprintf(stderr, "cannot open settings file %s\n", path);
        return -1;
    }
    while (count < capacity && fgets(line, sizeof line, fh) != NULL) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || eq == NULL) continue;
        *eq = '\0';
        snprintf(out[count].key, sizeof out[count].key, "%s", line);
        snprintf(out[count].value, sizeof out[count].value, "%s", eq + 1);
        out[count].value[strcspn(out[count].value, "\r\n")] = '\0';
        count++;
    }
    fclose(fh);
    return count;
}

const char *settings_lookup(const struct setting *all, int count, const char *key)
{
    for (int i = 0; i < count; i++)
        if (strcmp(all[i].key, key) == 0) return all[i].value;
    return NULL;
}

long settings_number(const struct setting *all, int count, const char *key, long fallback)
{
    const char *v = settings_lookup(all, count, key);
    char *end;
    long n;
    if (v == NULL) return fallback;
    n = strtol(v, &end, 10);
    if (*end != '\0') {
        fprintf(stderr, "setting %s is not a whole number: %s\n", key, v);
        return fallback;
    }
    return n;
}

void settings_dump(const struct setting *all, int count)
{
    printf("loaded %d settings from the configuration\n", count);
    for (int i = 0; i < count; i++) printf("  %-20s = %s\n", all[i].key, all[i].value);
}

int main(int argc, char **argv)
{
    struct setting all[64];
    int count;
    if (argc < 2) {
        fprintf(stderr, "usage: settings-tool FILE [KEY]\n");
        return 2;
    }
    count = settings_load(argv[1], all, 64);
    if (count < 0) return 1;
    if (argc > 2) {
        printf("%ld\n", settings_number(all, count, argv[2], -1));
        return 0;
    }
    settings_dump(all, count);
    puts("settings tool finished without errors");
    return 0;
}
"""


@pytest.mark.skipif(CC is None, reason="no C compiler on this machine")
def test_binary_built_from_registered_source_is_flagged_for_review(tmp_path: Path) -> None:
    assert CC is not None
    (tmp_path / "tool.c").write_text(TOOL_C)
    binary = tmp_path / "tool"
    subprocess.run([CC, "-O1", "-o", str(binary), str(tmp_path / "tool.c")], check=True)

    obj = ObjectCodeSignal()
    idx = obj.new_index()
    idx.add(3, fps(TOOL_C, "tool.c", Role.REFERENCE))
    idx.add(4, fps(program(C, C.funcs), "other.c", Role.REFERENCE))
    query = obj.extract(Media("binary", "application/x-executable", path=binary), Role.QUERY)
    (m,) = idx.search(query, 0.0)  # the unrelated C reference is not matched
    # worth a human look, never acted on alone
    assert m.ref_id == 3 and 0.60 <= m.score <= REVIEW_CAP < 0.80
    assert "person" in m.evidence["review"]

    true_bin = Path(shutil.which("true") or "/bin/true")
    other = obj.extract(Media("binary", "application/x-executable", path=true_bin), Role.QUERY)
    assert idx.search(other, 0.0) == []
    # the code signal's own index is untouched by object-code fingerprints
    assert CodeIndex().search(query, 0.0) == []
    idx.remove(3)
    assert idx.search(query, 0.0) == []


def test_a_copy_with_junk_the_lexer_cannot_read_is_still_screened_with_a_note() -> None:
    # junk that does not lex (or a file cut inside a string literal) must not let a copy
    # escape: what does lex is compared, and the note says the rest could not be read
    lang = LANGS["python"]
    idx, _ = ref_index(lang)
    junk = "\n".join("$$ ?? $$ ?? ` $ ?" for _ in range(60))
    query = program(lang, lang.funcs) + "\n" + junk + "\n"
    got = fps(query, "up.py")
    assert got and "could not be read as Python" in got[0].meta["note"]
    m = best(idx, got)
    assert m is not None and m.ref_id == 1 and m.score >= 0.80


# --------------------------------------------------------------------------- tables, directives


def _table(seed: int, rows: int) -> list[str]:
    """Rows of a C data table: every row has the same token structure, only names and
    values differ (bfd's cpu-*.c, the JDK's resource bundles)."""
    import random

    rng = random.Random(seed)
    words = ["arm", "mips", "sparc", "ppc", "riscv", "x86", "m68k", "sh", "vax", "alpha"]
    out = []
    for i in range(rows):
        w = f"{rng.choice(words)}{rng.randrange(1000)}"
        out.append(
            f'  {{ "{w}", {rng.randrange(1, 64)}, 0x{rng.randrange(1 << 24):06x}, '
            f'"{w.upper()} rev {i}", bfd_mach_{w} }},'
        )
    return out


def _table_file(seed: int, rows: int = 80) -> str:
    return (
        "#include <stdio.h>\n\nstatic const struct cpu_info cpus[] =\n{\n"
        + "\n".join(_table(seed, rows))
        + "\n};\n"
    )


def test_verbatim_copy_of_a_data_table_is_found_and_placed() -> None:
    # normalised, every row of a table is one token sequence (few distinct k-grams); the
    # verbatim profile keeps the names and values, so a copied excerpt is found and placed
    ref = _table_file(1)
    idx = index_of((4, [(ref, "cpu-table.c")]), (5, [(_table_file(2), "other.c")]))
    rows = _table(1, 80)[30:55]
    query = "static const struct cpu_info mine[] = {\n" + "\n".join(rows) + "\n};\n"
    m = best(idx, fps(query, "up.c"))
    assert m is not None and m.ref_id == 4 and m.score >= 0.80, m
    first = ref.split("\n").index(rows[0]) + 1
    spans = [p["reference_lines"] for p in m.evidence["passages"]]
    covered = sum(any(a <= ln <= b for a, b in spans) for ln in range(first, first + 25))
    assert covered >= 20, spans
    # a table of the same shape with other names and values is no match
    other = _table_file(3)
    assert all(m.score < 0.65 for m in idx.search(fps(other, "up.c"), 0.0))


def test_preprocessor_definitions_are_code_and_includes_are_not() -> None:
    # a C file of #define lines (bfd's pe-aarch64.c) was all comment to the lexer
    defs = "".join(
        f"#define TARGET_{i}_SYM{' ' * (i % 3 + 1)}(x_vec_{i} + {i * 7}) /* n */\n"
        for i in range(40)
    )
    text = '#include "sysdep.h"\n#include <stdio.h>\n' + defs + '#include "coff-x.c"\n'
    prog = tokenize(text, "pe-x.c")
    assert prog.tokens[:9] == ["#define", "N", "(", "N", "+", "I", ")", "#define", "N"]
    assert "sysdep" not in " ".join(prog.raw)
    assert tokenize('#include <stdio.h>\n#include "a.h"\n', "a.c").tokens == []
    idx = index_of((2, [(text, "pe-x.c")]))
    m = best(idx, fps(defs, "copy.c"))
    assert m is not None and m.ref_id == 2 and m.score >= 0.80
    # a continued directive is one directive, its lines kept
    cont = tokenize("#define X(a) \\\n  ((a) + 1)\nint y;\n", "c.c")
    assert cont.tokens[:6] == ["#define", "N", "(", "N", ")", "("]
    assert cont.lines[5] == 2


def test_a_comment_that_mentions_generating_is_no_generator_marker() -> None:
    # dlltool.c: "The export table is generated by this program by reading a .def file"
    prose = "/* dlltool.c -- tool to generate stuff for PE style DLLs\n"
    prose += "   The export table is generated by this program by reading\n   a .def file. */\n"
    assert not tokenize(prose + program(C, C.funcs), "dlltool.c").generated
    ref = fps(prose + program(C, C.funcs), "dlltool.c", Role.REFERENCE)
    assert [fp for fp in ref if fp.kind == "kgrams"]
    for marker in (
        "/* A Bison parser, made by GNU Bison 3.8.2.  */\n",
        "// Code generated by stringer; DO NOT EDIT.\n",
        "/* This file was automatically generated by mkbuiltins. */\n",
        "/* This file is generated by gen-table.sh from table.def */\n",
        "/* @generated */\n",
    ):
        assert tokenize(marker + program(C, C.funcs), "gen.c").generated, marker


def test_a_dense_line_of_literals_shared_verbatim_is_no_match() -> None:
    # Go's byte-order idiom: one line, a dozen verbatim hashes, in unrelated programs
    line = (
        "\treturn uint64(b[7]) | uint64(b[6])<<8 | uint64(b[5])<<16 | uint64(b[4])<<24 | "
        "uint64(b[3])<<32 | uint64(b[2])<<40 | uint64(b[1])<<48 | uint64(b[0])<<56\n"
    )
    ref = "package profile\n\nfunc get64(b []byte) uint64 {\n" + line + "}\n" + GO.unrelated
    query = "package fnv\n\nfunc readUint64(b []byte) uint64 {\n\t_ = b[7]\n" + line + "}\n"
    idx = index_of((1, [(ref, "legacy_profile.go")]))
    assert all(m.score < 0.65 for m in idx.search(fps(query, "fnv.go"), 0.0))


def test_a_verbatim_copy_of_a_dozen_lines_reaches_the_acting_threshold() -> None:
    # a function moved into another upload is often only a dozen lines: ~8 verbatim
    # hashes, which the verbatim chance model (slope 1.0 per hash, measured rarer still)
    # puts at 1e-5 expected chance matches; the old slope (0.7) left it at 0.56
    from safeharbor.signals.code import expected_chance

    assert expected_chance(7, 50, 1000, verbatim=True) <= 1e-4
    assert expected_chance(7, 50, 1000) > 1e-3  # not for the normalised profile
    idx, ref = ref_index(JAVA)
    part = "\n".join(JAVA.funcs[1].split("\n")[:12])
    m = best(idx, fps(program(JAVA, [part]), "Up.java"))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80, m
    assert m.evidence["profile"] == "verbatim"
    assert_within(m.reference_span.as_list() if m.reference_span else [], lines_of(ref, part), 0.6)


# --------------------------------------------------------------------------- parameterised profile


def _weights(method: str, table: str, rows: list[tuple[str, int]]) -> str:
    body = "".join(f'        {table}.put("{k}", {v});\n' for k, v in rows)
    return (
        f"    static Map<String, Integer> {method}() {{\n"
        f"        Map<String, Integer> {table} = new HashMap<>();\n"
        f"{body}        return {table};\n    }}\n"
    )


_ELEMENTS = [
    ("hydrogen", 1), ("helium", 4), ("lithium", 7), ("beryllium", 9), ("boron", 11),
    ("carbon", 12), ("nitrogen", 14), ("oxygen", 16), ("fluorine", 19), ("neon", 20),
    ("sodium", 23), ("magnesium", 24), ("aluminium", 27), ("silicon", 28),
    ("phosphorus", 31), ("sulfur", 32), ("chlorine", 35), ("argon", 40),
]  # fmt: skip


def test_a_renamed_java_table_method_is_found_by_the_parameterised_profile() -> None:
    # every row "table.put(S, I);" is one normalised token sequence, so the normalised
    # profile sees a handful of distinct k-grams; renaming removes every verbatim one.
    # Names told apart by back-distance and literals as written keep each row distinct
    # and survive the renaming.
    ref = "package chem;\n\npublic class Elements {\n" + _weights("weights", "t", _ELEMENTS)
    ref += "}\n"
    query = "package up;\n\npublic class Q {\n" + _weights("massTable", "m", _ELEMENTS) + "}\n"
    idx = index_of((1, [(ref, "Elements.java")]))
    m = best(idx, fps(query, "Q.java"))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80, m
    assert m.evidence["profile"] == "param"
    assert m.reference_span is not None
    assert_within(m.reference_span.as_list(), (5, 24), 0.6)


def test_same_token_shapes_with_other_names_and_values_are_no_match() -> None:
    # the same method shape filled with other keys and values, and names used in another
    # pattern: the normalised profile shares its few row k-grams, the parameterised one
    # nothing
    ref = "package chem;\n\npublic class Elements {\n" + _weights("weights", "t", _ELEMENTS)
    ref += "}\n"
    other = [(f"key{i}", 100 + i) for i in range(len(_ELEMENTS))]
    query = "package up;\n\npublic class Q {\n" + _weights("codes", "c", other) + "}\n"
    idx = index_of((1, [(ref, "Elements.java")]))
    assert all(m.score < 0.65 for m in idx.search(fps(query, "Q.java"), 0.0))


def test_parameterised_hashes_survive_renaming_and_tell_name_patterns_apart() -> None:
    from safeharbor.signals.code import param_hashes

    a = "def f(x, y):\n    x = y + x\n    y = x * y\n    return x - y + 1\n"
    renamed = rename(a, (("f", "g"), ("x", "alpha"), ("y", "beta")))
    other = "def f(a, b):\n    c = d + e\n    g = h * i\n    return j - k + 1\n"
    ha = param_hashes(tokenize(a, "a.py"))
    assert len(ha) and (ha == param_hashes(tokenize(renamed, "b.py"))).all()
    # same token shapes ("N = N + N"), names used in another pattern: no k-gram shared
    # (the plain normalised tokens of the two are identical)
    assert tokenize(a, "a.py").tokens == tokenize(other, "c.py").tokens
    assert not set(ha.tolist()) & set(param_hashes(tokenize(other, "c.py")).tolist())


def test_references_fingerprinted_before_the_parameterised_profile_still_match() -> None:
    # a database built by the previous version holds only "kgrams" and "verbatim"
    old = [
        fp
        for fp in fps(program(JAVA, JAVA.funcs), "orig.java", Role.REFERENCE)
        if fp.kind != "param"
    ]
    idx = CodeIndex()
    idx.add(1, old)
    query = rename(program(JAVA, JAVA.funcs), JAVA.renames)
    m = best(idx, fps(query, "up.java"))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80
    assert m.evidence["profile"] == "kgrams"


def test_a_verbatim_copy_of_six_hashes_reaches_the_acting_threshold() -> None:
    # the verbatim model's intercept from held-out files (module docstring): 6 distinct
    # verbatim hashes reach 0.80, 5 reach 0.65, 3 stay below it
    from safeharbor.signals.code import expected_chance

    assert expected_chance(6, 50, 1000, verbatim=True) <= 1e-4
    assert expected_chance(5, 50, 1000, verbatim=True) <= 1e-3
    assert expected_chance(3, 50, 1000, verbatim=True) > 1e-3
    assert expected_chance(6, 50, 1000, param=True) > 1e-3  # the normalised slope


# --------------------------------------------------------------------------- cut in a docstring

_DOC = '''"""Stock keeping for small shops.

The inventory file holds one line per article: the article number, the
warehouse it lies in, and how many pieces are there. Lines of other
warehouses, and articles seen twice, are left out of the totals.

Reorders are rounded up to whole boxes.
"""
'''


def test_a_fragment_cut_inside_a_docstring_is_read_as_code_after_it() -> None:
    # pasted from the middle of the module docstring: its closing quotes would otherwise
    # open a string that swallows every line of code after them
    ref = _DOC + PY.header + "\n" + "\n".join(PY.funcs)
    idx = index_of((1, [(ref, "stock.py")]))
    query = "\n".join(ref.split("\n")[3:])
    assert query.count('"""') == 1
    prog = tokenize(query, "up.py")
    # the first function's "def", on its own line (line numbers are kept)
    assert prog.lines[prog.tokens.index("def")] == lines_of(query, PY.funcs[0])[0]
    m = best(idx, fps(query, "up.py"))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80
    assert m.reference_span is not None
    assert m.reference_span.start <= lines_of(ref, PY.funcs[0])[0] + 2


def test_whole_files_with_unpaired_quote_characters_lex_as_before() -> None:
    # three single quotes inside another string: every string closes, nothing changes
    text = "QUOTE = \"'''\"\n\n" + "\n".join(PY.funcs)
    prog = tokenize(text, "q.py")
    assert prog.tokens[:3] == ["N", "=", "S"] and prog.tokens.count("def") >= 3
