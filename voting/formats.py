"""Readers for the two public ballot-file formats: PrefLib and Pabulib.

Public API
----------
read_preflib   ``.soc``, ``.soi``, ``.toc``, ``.toi`` files (PrefLib format of 2022) -> PrefLibData
read_pabulib   ``.pb`` files (Pabulib: META / PROJECTS / VOTES)                     -> PabulibData

Both take a path or the file's text.  Ids are kept as the strings written in the file (PrefLib
alternatives "1", "2", ...; Pabulib project ids), so results can be reported in the file's own
words.  A file that breaks the format raises :class:`~voting.errors.VotingError` whose message
starts with the line number, e.g. ``"line 12: expected 'count: ranking' (like '3: 1,2,{3,4}'),
got 'x'"``.

Sources: PrefLib data format, https://preflib.github.io/PrefLib-Jekyll/format (Mattei & Walsh,
"PrefLib: A Library for Preferences", ADT 2013; format revised 2022); Pabulib format,
https://pabulib.org/format (Faliszewski et al., "Participatory Budgeting: Data, Tools and
Analysis", IJCAI 2023).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt

from voting.errors import VotingError

__all__ = ["PabulibData", "PrefLibData", "read_pabulib", "read_preflib"]

PREFLIB_TYPES = ("soc", "soi", "toc", "toi")
PABULIB_VOTE_TYPES = ("approval", "choose-1", "ordinal", "cumulative", "scoring")


def _text_of(path_or_text: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, where) for a path or literal text; ``where`` names the source in messages."""
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and "\n" not in path_or_text
        and not path_or_text.lstrip().startswith("#")
    ):
        path = os.fspath(path_or_text)
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return fh.read(), path
        except OSError as e:
            raise VotingError(f"cannot read {path}: {e.strerror}") from e
        except UnicodeDecodeError as e:
            raise VotingError(f"{path} is not UTF-8 text") from e
    if not isinstance(path_or_text, str):
        raise VotingError("expected a path or the text of a file")
    return path_or_text.lstrip("\ufeff"), "<text>"


# --- PrefLib -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrefLibData:
    """A PrefLib file, ready for counting.

    data_type:   "soc" | "soi" | "toc" | "toi" (strict/tied, complete/incomplete orders).
    metadata:    the ``# KEY: value`` header lines (keys upper case, as written).
    candidates:  alternative ids as written (``"1"``, ``"2"``, ...), in the file's order.
    names:       the alternatives' names (``# ALTERNATIVE NAME i: ...``; the id if absent).
    ranks:       int array, shape (n_orders, max_len): candidate *indices* (into
                 ``candidates``) in preference order, ``-1`` after the last; tied candidates
                 appear in the order written.
    tiers:       int array, same shape: the 0-based tier of each entry (entries sharing a tier
                 are tied), ``-1`` in padding.  Without ties, ``tiers[b, r] == r``.
    weights:     int array, shape (n_orders,): how many voters cast each order.
    lines:       file line number of each order (for messages).
    """

    data_type: str
    metadata: dict[str, str]
    candidates: tuple[str, ...]
    names: tuple[str, ...]
    ranks: npt.NDArray[np.int64]
    tiers: npt.NDArray[np.int64]
    weights: npt.NDArray[np.int64]
    lines: tuple[int, ...] = field(default=())

    @property
    def n_voters(self) -> int:
        return int(self.weights.sum())

    @property
    def has_ties(self) -> bool:
        """True if some order puts two candidates in one tier."""
        filled = self.tiers >= 0
        n_tiers = np.where(filled, self.tiers + 1, 0).max(axis=1, initial=0)
        return bool(np.any(n_tiers < filled.sum(axis=1)))

    def first_tie_line(self) -> int | None:
        """The file line of the first order with a tie, or ``None``."""
        filled = self.tiers >= 0
        n_tiers = np.where(filled, self.tiers + 1, 0).max(axis=1, initial=0)
        bad = np.flatnonzero(n_tiers < filled.sum(axis=1))
        return self.lines[int(bad[0])] if bad.size and self.lines else None

    def top_tier_approvals(self) -> npt.NDArray[np.bool_]:
        """bool array (n_orders, n_candidates): the candidates in each order's first tier.

        The usual reading of an approval ballot stored as ``.soi``/``.toi``: PrefLib stores
        approval data as a first tier of approved candidates (``{1,3},{2,4}`` approves 1 and 3;
        a strict order ``2,1`` approves only 2).
        """
        out = np.zeros((self.ranks.shape[0], len(self.candidates)), dtype=bool)
        rows, cols = np.nonzero(self.tiers == 0)
        out[rows, self.ranks[rows, cols]] = True
        return out


_META_RE = re.compile(r"^#\s*([^:]+?)\s*:\s*(.*?)\s*$")
_ALT_RE = re.compile(r"^ALTERNATIVE NAME\s+(\S+)$", re.IGNORECASE)
_DATA_RE = re.compile(r"^\s*(\d+)\s*:\s*(.*?)\s*$")
_EXPECTED = "expected 'count: ranking' (like '3: 1,2,{3,4}')"


def _parse_order(text: str, lineno: int) -> list[list[str]]:
    """``"1,{2,3},4"`` -> ``[["1"], ["2", "3"], ["4"]]``."""
    tiers: list[list[str]] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] == "{":
            close = text.find("}", i)
            if close < 0:
                raise VotingError(f"line {lineno}: '{{' without a matching '}}'")
            tier = [t.strip() for t in text[i + 1 : close].split(",")]
            if any(not t for t in tier):
                raise VotingError(f"line {lineno}: empty name inside {{...}}")
            tiers.append(tier)
            i = close + 1
        else:
            nxt = text.find(",", i)
            end = n if nxt < 0 else nxt
            tok = text[i:end].strip()
            if not tok or "}" in tok or "{" in tok:
                raise VotingError(f"line {lineno}: {_EXPECTED}, got {text!r}")
            tiers.append([tok])
            i = end
        while i < n and text[i] == " ":
            i += 1
        if i < n:
            if text[i] != ",":
                raise VotingError(f"line {lineno}: {_EXPECTED}, got {text!r}")
            i += 1
            if i >= n:
                raise VotingError(f"line {lineno}: the ranking ends with a comma")
    return tiers


def read_preflib(path_or_text: str | os.PathLike[str]) -> PrefLibData:
    """Read a PrefLib ``.soc`` / ``.soi`` / ``.toc`` / ``.toi`` file.

    Header lines ``# KEY: value`` are metadata (``DATA TYPE``, ``NUMBER ALTERNATIVES``,
    ``NUMBER VOTERS``, ``NUMBER UNIQUE ORDERS``, ``ALTERNATIVE NAME i``, ...); every other
    non-blank line is ``count: ranking`` where the ranking lists alternative ids separated by
    commas and ``{a,b}`` groups tied alternatives.  Checks: every id is a declared
    alternative; no id twice in an order; strict types (soc, soi) have no ties; complete types
    (soc, toc) rank every alternative; ``NUMBER VOTERS`` and ``NUMBER UNIQUE ORDERS`` (if
    present) match the data.

    >>> d = read_preflib('''# DATA TYPE: soc
    ... # ALTERNATIVE NAME 1: Ada
    ... # ALTERNATIVE NAME 2: Bo
    ... 3: 1,2
    ... 2: 2,1''')
    >>> d.candidates, d.names, d.weights.tolist(), d.ranks.tolist()
    (('1', '2'), ('Ada', 'Bo'), [3, 2], [[0, 1], [1, 0]])
    """
    text, where = _text_of(path_or_text)
    metadata: dict[str, str] = {}
    meta_line: dict[str, int] = {}
    alt_ids: list[str] = []
    alt_names: dict[str, str] = {}
    orders: list[tuple[int, list[list[str]], int]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = _META_RE.match(line)
            if not m:
                continue  # a plain comment
            key, value = m.group(1).strip(), m.group(2)
            alt = _ALT_RE.match(key)
            if alt:
                aid = alt.group(1)
                if aid in alt_names:
                    raise VotingError(f"line {lineno}: alternative {aid} is named twice")
                alt_ids.append(aid)
                alt_names[aid] = value
            else:
                metadata[key.upper()] = value
                meta_line[key.upper()] = lineno
            continue
        m = _DATA_RE.match(line)
        if not m:
            raise VotingError(f"line {lineno}: {_EXPECTED}, got {line!r}")
        count = int(m.group(1))
        tiers = _parse_order(m.group(2), lineno) if m.group(2) else []
        orders.append((count, tiers, lineno))

    data_type = metadata.get("DATA TYPE", "").strip().lower()
    if not data_type and where != "<text>":
        data_type = os.path.splitext(where)[1].lstrip(".").lower()
    if data_type and data_type not in PREFLIB_TYPES:
        raise VotingError(
            f"line {meta_line.get('DATA TYPE', 1)}: DATA TYPE must be one of "
            f"{', '.join(PREFLIB_TYPES)}, not {data_type!r}"
        )
    data_type = data_type or "toi"

    if alt_ids:
        candidates = alt_ids
    elif "NUMBER ALTERNATIVES" in metadata:
        try:
            k = int(metadata["NUMBER ALTERNATIVES"])
        except ValueError:
            raise VotingError(
                f"line {meta_line['NUMBER ALTERNATIVES']}: NUMBER ALTERNATIVES must be a "
                "whole number") from None
        candidates = [str(i) for i in range(1, k + 1)]
    else:
        seen: dict[str, None] = {}
        for _, tiers, _ in orders:
            for tier in tiers:
                for t in tier:
                    seen.setdefault(t, None)
        candidates = sorted(seen, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s))
    index = {c: i for i, c in enumerate(candidates)}
    n_cand = len(candidates)

    max_len = max((sum(len(t) for t in tiers) for _, tiers, _ in orders), default=0)
    n = len(orders)
    ranks = np.full((n, max_len), -1, dtype=np.int64)
    tier_of = np.full((n, max_len), -1, dtype=np.int64)
    weights = np.zeros(n, dtype=np.int64)
    strict = data_type in ("soc", "soi")
    complete = data_type in ("soc", "toc")
    for b, (count, tiers, lineno) in enumerate(orders):
        weights[b] = count
        pos = 0
        seen_ids: set[str] = set()
        for tier_no, tier in enumerate(tiers):
            if strict and len(tier) > 1:
                raise VotingError(
                    f"line {lineno}: a {data_type} file has strict orders, but this one "
                    f"ties {{{','.join(tier)}}}")
            for cid in tier:
                if cid not in index:
                    raise VotingError(f"line {lineno}: unknown alternative {cid!r}")
                if cid in seen_ids:
                    raise VotingError(f"line {lineno}: alternative {cid!r} appears twice")
                seen_ids.add(cid)
                ranks[b, pos] = index[cid]
                tier_of[b, pos] = tier_no
                pos += 1
        if complete and pos != n_cand:
            raise VotingError(
                f"line {lineno}: a {data_type} file ranks all {n_cand} alternatives, "
                f"but this order ranks {pos}")

    for key, actual in (("NUMBER VOTERS", int(weights.sum())), ("NUMBER UNIQUE ORDERS", n)):
        if key in metadata:
            try:
                declared = int(metadata[key])
            except ValueError:
                raise VotingError(f"line {meta_line[key]}: {key} must be a whole number") from None
            if declared != actual:
                raise VotingError(
                    f"line {meta_line[key]}: {key} says {declared} but the data has {actual}")
    return PrefLibData(
        data_type=data_type,
        metadata=metadata,
        candidates=tuple(candidates),
        names=tuple(alt_names.get(c, c) for c in candidates),
        ranks=ranks,
        tiers=tier_of,
        weights=weights,
        lines=tuple(ln for _, _, ln in orders),
    )


# --- Pabulib -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PabulibData:
    """A Pabulib ``.pb`` file, ready for counting.

    meta:       the META section (keys lower case).
    projects:   project ids as written, in file order.
    names:      the projects' ``name`` column (the id if absent).
    costs:      int array, shape (n_projects,).
    budget:     int, from META ``budget``.
    vote_type:  "approval" | "choose-1" | "ordinal" | "cumulative" | "scoring".
    voters:     voter ids as written.
    approvals:  bool array (n_voters, n_projects) for approval and choose-1 votes, else None.
    scores:     float array (n_voters, n_projects) of points for cumulative and scoring votes
                (0 where a voter gave none), else None.
    ranks:      int array (n_voters, max_len) of project indices, -1 padded, for ordinal votes
                (else None).
    project_meta: the other PROJECTS columns per project, as strings.
    """

    meta: dict[str, str]
    projects: tuple[str, ...]
    names: tuple[str, ...]
    costs: npt.NDArray[np.int64]
    budget: int
    vote_type: str
    voters: tuple[str, ...]
    approvals: npt.NDArray[np.bool_] | None = None
    scores: npt.NDArray[np.float64] | None = None
    ranks: npt.NDArray[np.int64] | None = None
    project_meta: tuple[dict[str, str], ...] = ()

    def approval_matrix(self) -> npt.NDArray[np.bool_]:
        """Approvals for approval-based rules: approvals, or "gave any points", or "ranked"."""
        if self.approvals is not None:
            return self.approvals
        if self.scores is not None:
            return self.scores > 0
        out = np.zeros((len(self.voters), len(self.projects)), dtype=bool)
        if self.ranks is not None:
            rows, cols = np.nonzero(self.ranks >= 0)
            out[rows, self.ranks[rows, cols]] = True
        return out


def _whole(value: str, what: str, lineno: int) -> int:
    text = value.strip().replace(" ", "").replace(",", ".")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise VotingError(f"line {lineno}: {what} must be a number, not {value!r}") from None
    if not d.is_finite() or d != d.to_integral_value():
        raise VotingError(
            f"line {lineno}: {what} must be a whole number of the currency's units, not {value!r}")
    if d < 0:
        raise VotingError(f"line {lineno}: {what} must not be negative")
    return int(d)


def read_pabulib(path_or_text: str | os.PathLike[str]) -> PabulibData:
    """Read a Pabulib ``.pb`` file.

    Format: three sections, each a line ``META`` / ``PROJECTS`` / ``VOTES`` followed by a
    header row and ``;``-separated rows (CSV quoting allowed).  META needs ``budget`` and
    ``vote_type``; PROJECTS needs ``project_id`` and ``cost``; VOTES needs ``voter_id`` and
    ``vote`` (comma-separated project ids; for cumulative and scoring also ``points``, one per
    project in ``vote``).  Costs and the budget must be whole numbers.

    >>> d = read_pabulib('''META
    ... key;value
    ... budget;100
    ... vote_type;approval
    ... PROJECTS
    ... project_id;cost;name
    ... 7;60;Benches
    ... 9;40;Trees
    ... VOTES
    ... voter_id;vote
    ... a;7,9
    ... b;9''')
    >>> d.projects, d.costs.tolist(), d.budget, d.approvals.tolist()
    (('7', '9'), [60, 40], 100, [[True, True], [False, True]])
    """
    text, _where = _text_of(path_or_text)
    reader = csv.reader(io.StringIO(text), delimiter=";")
    section = ""
    header: list[str] = []
    meta: dict[str, str] = {}
    meta_line: dict[str, int] = {}
    proj_rows: list[tuple[list[str], int]] = []
    proj_header: list[str] = []
    vote_rows: list[tuple[list[str], int]] = []
    vote_header: list[str] = []
    expect_header = False
    seen_sections: set[str] = set()
    try:
        for row in reader:
            lineno = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            first = row[0].strip().lower()
            if first in ("meta", "projects", "votes") and all(not c.strip() for c in row[1:]):
                if first in seen_sections:
                    raise VotingError(f"line {lineno}: section {first.upper()} appears twice")
                seen_sections.add(first)
                section = first
                expect_header = True
                continue
            if not section:
                raise VotingError(
                    f"line {lineno}: expected a section name (META, PROJECTS or VOTES), "
                    f"got {';'.join(row)!r}")
            if expect_header:
                header = [h.strip().lower() for h in row]
                if section == "projects":
                    proj_header = header
                    for need in ("project_id", "cost"):
                        if need not in header:
                            raise VotingError(
                                f"line {lineno}: the PROJECTS header needs a {need!r} column")
                elif section == "votes":
                    vote_header = header
                    for need in ("voter_id", "vote"):
                        if need not in header:
                            raise VotingError(
                                f"line {lineno}: the VOTES header needs a {need!r} column")
                expect_header = False
                continue
            if section == "meta":
                if len(row) < 2:
                    raise VotingError(f"line {lineno}: expected 'key;value' in META")
                key = row[0].strip().lower()
                meta[key] = row[1].strip()
                meta_line[key] = lineno
            elif section == "projects":
                proj_rows.append((row, lineno))
            else:
                vote_rows.append((row, lineno))
    except csv.Error as e:
        raise VotingError(f"line {reader.line_num}: {e}") from None

    for need in ("budget", "vote_type"):
        if need not in meta:
            raise VotingError(f"line 1: the META section needs a {need!r} entry")
    vote_type = meta["vote_type"].strip().lower()
    if vote_type not in PABULIB_VOTE_TYPES:
        raise VotingError(
            f"line {meta_line['vote_type']}: vote_type must be one of "
            f"{', '.join(PABULIB_VOTE_TYPES)}, not {vote_type!r}")
    budget = _whole(meta["budget"], "budget", meta_line["budget"])
    if "projects" not in seen_sections:
        raise VotingError("line 1: the file has no PROJECTS section")

    pid_col = proj_header.index("project_id")
    cost_col = proj_header.index("cost")
    name_col = proj_header.index("name") if "name" in proj_header else None
    projects: list[str] = []
    names: list[str] = []
    costs: list[int] = []
    pmeta: list[dict[str, str]] = []
    index: dict[str, int] = {}
    for row, lineno in proj_rows:
        if len(row) < len(proj_header):
            raise VotingError(
                f"line {lineno}: expected {len(proj_header)} fields "
                f"({';'.join(proj_header)}), got {len(row)}")
        pid = row[pid_col].strip()
        if not pid:
            raise VotingError(f"line {lineno}: empty project_id")
        if pid in index:
            raise VotingError(f"line {lineno}: project {pid!r} is listed twice")
        index[pid] = len(projects)
        projects.append(pid)
        costs.append(_whole(row[cost_col], f"the cost of project {pid}", lineno))
        names.append(row[name_col].strip() if name_col is not None else pid)
        pmeta.append({h: row[i].strip() for i, h in enumerate(proj_header)
                      if i not in (pid_col, cost_col)})

    m = len(projects)
    n = len(vote_rows)
    vid_col = vote_header.index("voter_id") if vote_header else 0
    vote_col = vote_header.index("vote") if vote_header else 1
    pts_col = vote_header.index("points") if "points" in vote_header else None
    if vote_type in ("cumulative", "scoring") and vote_rows and pts_col is None:
        raise VotingError(f"line {vote_rows[0][1] - 1}: {vote_type} votes need a 'points' column")
    voters: list[str] = []
    approvals = np.zeros((n, m), dtype=bool) if vote_type in ("approval", "choose-1") else None
    scores = np.zeros((n, m), dtype=np.float64) if vote_type in ("cumulative", "scoring") else None
    ordinal: list[list[int]] = []
    for b, (row, lineno) in enumerate(vote_rows):
        if len(row) <= max(vid_col, vote_col, pts_col or 0):
            raise VotingError(
                f"line {lineno}: expected {len(vote_header)} fields "
                f"({';'.join(vote_header)}), got {len(row)}")
        voters.append(row[vid_col].strip())
        ids = [t.strip() for t in row[vote_col].split(",") if t.strip()]
        if ids and ids[0].lower() == "none" and len(ids) == 1:
            ids = []
        picks: list[int] = []
        for pid in ids:
            if pid not in index:
                raise VotingError(f"line {lineno}: vote for unknown project {pid!r}")
            picks.append(index[pid])
        if len(set(picks)) != len(picks):
            raise VotingError(f"line {lineno}: a project appears twice in one vote")
        if approvals is not None:
            if vote_type == "choose-1" and len(picks) > 1:
                raise VotingError(f"line {lineno}: a choose-1 vote names {len(picks)} projects")
            approvals[b, picks] = True
        elif scores is not None and pts_col is not None:
            pts = [t.strip() for t in row[pts_col].split(",") if t.strip()]
            if len(pts) != len(picks):
                raise VotingError(
                    f"line {lineno}: {len(picks)} projects in 'vote' but {len(pts)} in 'points'")
            for j, p in zip(picks, pts, strict=True):
                try:
                    value = float(Decimal(p.replace(" ", "")))
                except InvalidOperation:
                    raise VotingError(f"line {lineno}: points must be numbers, not {p!r}") from None
                if not np.isfinite(value) or value < 0:
                    raise VotingError(f"line {lineno}: points must not be negative")
                scores[b, j] = value
        else:
            ordinal.append(picks)
    ranks = None
    if vote_type == "ordinal":
        width = max((len(o) for o in ordinal), default=0)
        ranks = np.full((n, width), -1, dtype=np.int64)
        for b, o in enumerate(ordinal):
            ranks[b, : len(o)] = o
    return PabulibData(
        meta=meta,
        projects=tuple(projects),
        names=tuple(names),
        costs=np.asarray(costs, dtype=np.int64),
        budget=budget,
        vote_type=vote_type,
        voters=tuple(voters),
        approvals=approvals,
        scores=scores,
        ranks=ranks,
        project_meta=tuple(pmeta),
    )
