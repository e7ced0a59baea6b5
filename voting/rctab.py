"""An RCTab-compatible rules profile: ranked-choice counts that match RCTab's reports.

RCTab (the Universal RCV Tabulator by Bright Spots, https://github.com/BrightSpots/rcv) is the
tabulator many US jurisdictions certify.  :func:`rctab_tabulate` counts a case given as RCTab
rule settings plus raw cast-vote records and returns a :class:`~voting.results.CountResult`
whose rounds match RCTab's round-by-round report (checked against RCTab's own test data in
``tests/conformance/rctab``).  It reuses the ballot validation and pointer-walking core of
:mod:`voting.ranked`; the rules differ from Scottish STV, so the round logic is separate.

Public API: :class:`RctabRules`, :func:`rctab_tabulate`, :func:`rctab_count`,
:func:`clean_ballot`, ``UNDECLARED_WRITE_IN``.

Rules implemented (RCTab setting names in brackets)
---------------------------------------------------
Per ballot, applied once before counting (for these rules the effect is static):
* skipped ranks [maxSkippedRanksAllowed]: a mark at rank r after the previous mark (of any
  kind) at rank l exhausts the ballot when ``r - l > maxSkipped + 1`` (l starts at 0, so a
  skipped first choice counts); ``"unlimited"`` disables it.
* overvotes [overvoteRule]: a rank with two or more candidates, or the ``"#overvote"`` label,
  exhausts the ballot (``exhaustImmediately``) or is passed over (``alwaysSkipToNextRank``).
  ``exhaustIfMultipleContinuing`` is dynamic and not supported.
* duplicates [exhaustOnDuplicateCandidate]: a candidate marked again exhausts the ballot when
  true and is passed over otherwise.
* [maxRankingsAllowed]: ranks after this many are ignored (``"max"``: all).
Counting, round by round:
* A round first applies the previous round's action (moving the ballots of excluded candidates
  to their next continuing choice, or transferring the surpluses of candidates elected in the
  previous round), then tallies, then either elects or excludes -- never both.
* Threshold: ``floor(V / (S + 1)) + 1`` whole votes; with [nonIntegerWinningThreshold]
  ``truncate_d(V / (S + 1)) + 10**-d``; with [hareQuota] ``truncate_d(V / S)`` (plus one unit
  of 10**-d when non-integer thresholds are on).  V is the active vote: for one seat it is
  recomputed every round until a winner is found (unless [doesFirstRoundDetermineThreshold]);
  for several seats it is taken from round 1.
* One seat [singleWinnerMajority]: a candidate with at least the threshold wins; when only two
  continuing candidates remain the one with more votes wins (a tie goes to the tie-break).
  With [continueUntilTwoCandidatesRemain] exclusions go on after the win until two remain.
* Undeclared write-ins cannot win, and while the undeclared write-in pseudo-candidate is
  continuing with votes, nobody is elected in that round (it is excluded first; RCTab
  ``identifyWinners``), whatever the tallies of the others.
* Several seats: every continuing candidate at or above the threshold is elected
  [multiWinnerAllowMultipleWinnersPerRound], or only the one with most votes
  [multiWinnerAllowOnlyOneWinnerPerRound]; when the continuing candidates are no more than the
  seats left, all are elected (listed by name, as RCTab lists them).  In the next round each
  winner's ballots move on with their value multiplied by ``truncate_d((votes - threshold) /
  votes)``, each ballot's new value truncated to d decimals [decimalPlacesForVoteArithmetic];
  the winner then shows the threshold.  After the last seat is filled one more round shows the
  last winners with their final surplus set aside (not transferred): a winner above the
  threshold shows the threshold, a winner elected below it (because the continuing candidates
  were no more than the seats left) shows the votes it actually holds.  With more seats than
  candidates every candidate is elected and the count ends in that round.
* Exclusion, in this order: the undeclared write-in pseudo-candidate while it is continuing
  (alone); every candidate below [minimumVoteThreshold]; batch elimination [batchElimination]
  (going up the tallies, all candidates whose combined votes are below the next higher tally,
  when that removes two or more; elected candidates take no part); else the candidate with
  fewest votes.
* Ties [tiebreakMode]: ``useCandidateOrder``/``usePermutationInConfig`` exclude the tied
  candidate latest in the candidate list and favour the earliest;
  ``previousRoundCountsThenUseCandidateOrder`` first looks at earlier rounds.  Random modes
  (``random``, ``previousRoundCountsThenRandom``, ``generatePermutation``) draw with a numpy
  Generator passed as ``rng`` -- *not* RCTab's Java generator, so such draws will not match
  RCTab's; ``stopCountingAndAsk`` raises :class:`~voting.errors.VotingError` at a tie.
Not implemented: bottoms-up and sequential multi-pass modes, ``exhaustIfMultipleContinuing``.
Hare quota is implemented from RCTab's documentation but not covered by the conformance data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from voting.errors import VotingError
from voting.ranked import _advance, _break_tie, _sum_by, _validate_array
from voting.results import CountResult, CountRound

__all__ = ["UNDECLARED_WRITE_IN", "RctabRules", "clean_ballot", "rctab_count", "rctab_tabulate"]

UNDECLARED_WRITE_IN = "Undeclared Write-ins"
OVERVOTE_LABEL = "#overvote"

_TIEBREAKS = {
    "useCandidateOrder": "order",
    "usePermutationInConfig": "order",
    "previousRoundCountsThenUseCandidateOrder": "previous-rounds",
    "random": "random",
    "generatePermutation": "random",
    "previousRoundCountsThenRandom": "previous-rounds-random",
    "stopCountingAndAsk": "stop",
}
_MODES = (
    "singleWinnerMajority",
    "multiWinnerAllowOnlyOneWinnerPerRound",
    "multiWinnerAllowMultipleWinnersPerRound",
)
_OVERVOTE_RULES = ("exhaustImmediately", "alwaysSkipToNextRank")


def _flag(v: Any) -> bool:
    if v is None or v == "":
        return False
    if isinstance(v, str):
        if v.lower() not in ("true", "false"):
            raise VotingError(f"expected true or false, got {v!r}")
        return v.lower() == "true"
    return bool(v)


def _whole(v: Any, name: str, *, unlimited: tuple[str, ...] = ()) -> int | None:
    if v is None or v == "":
        return None if unlimited else 0
    if isinstance(v, str) and v in unlimited:
        return None
    try:
        out = int(v)
    except (TypeError, ValueError):
        raise VotingError(f"{name} must be a whole number, got {v!r}") from None
    if out < 0:
        raise VotingError(f"{name} must be >= 0")
    return out


@dataclass(frozen=True)
class RctabRules:
    """The RCTab rule settings this module implements (names follow RCTab's config file)."""

    winner_election_mode: str = "singleWinnerMajority"
    number_of_winners: int = 1
    tiebreak_mode: str = "useCandidateOrder"
    overvote_rule: str = "exhaustImmediately"
    max_skipped_ranks_allowed: int | None = 1  # None: unlimited
    max_rankings_allowed: int | None = None  # None: "max"
    exhaust_on_duplicate_candidate: bool = False
    batch_elimination: bool = False
    continue_until_two_candidates_remain: bool = False
    hare_quota: bool = False
    non_integer_winning_threshold: bool = False
    decimal_places_for_vote_arithmetic: int = 4
    first_round_determines_threshold: bool = False
    minimum_vote_threshold: int = 0

    def __post_init__(self) -> None:
        if self.winner_election_mode not in _MODES:
            raise VotingError(f"winnerElectionMode must be one of {', '.join(_MODES)}")
        if self.tiebreak_mode not in _TIEBREAKS:
            raise VotingError(f"tiebreakMode must be one of {', '.join(_TIEBREAKS)}")
        if self.overvote_rule not in _OVERVOTE_RULES:
            raise VotingError(f"overvoteRule must be one of {', '.join(_OVERVOTE_RULES)}")
        if self.number_of_winners < 1:
            raise VotingError("numberOfWinners must be at least 1")
        if (self.number_of_winners == 1) != (self.winner_election_mode == "singleWinnerMajority"):
            raise VotingError(
                "singleWinnerMajority goes with numberOfWinners = 1, multi-winner modes with more"
            )
        # Vote values are int64 multiples of 10**-d and a surplus transfer multiplies two of
        # them, so d <= 9 keeps every product exact (RCTab itself allows up to 20).
        if not 0 <= self.decimal_places_for_vote_arithmetic <= 9:
            raise VotingError(
                "decimalPlacesForVoteArithmetic must be from 0 to 9 in this profile "
                "(more places would overflow exact 64-bit arithmetic)"
            )

    @classmethod
    def from_config(cls, rules: Mapping[str, Any]) -> RctabRules:
        """Rules from RCTab's ``rules`` block (string or native values, as in its JSON)."""
        seats = _whole(rules.get("numberOfWinners", 1), "numberOfWinners")
        decimals = _whole(
            rules.get("decimalPlacesForVoteArithmetic", 4), "decimalPlacesForVoteArithmetic"
        )
        return cls(
            winner_election_mode=str(rules.get("winnerElectionMode", "singleWinnerMajority")),
            number_of_winners=1 if seats is None else seats,
            tiebreak_mode=str(rules.get("tiebreakMode", "useCandidateOrder")),
            overvote_rule=str(rules.get("overvoteRule", "exhaustImmediately")),
            max_skipped_ranks_allowed=_whole(
                rules.get("maxSkippedRanksAllowed", 1),
                "maxSkippedRanksAllowed",
                unlimited=("unlimited",),
            ),
            max_rankings_allowed=_whole(
                rules.get("maxRankingsAllowed", "max"), "maxRankingsAllowed", unlimited=("max",)
            ),
            exhaust_on_duplicate_candidate=_flag(rules.get("exhaustOnDuplicateCandidate")),
            batch_elimination=_flag(rules.get("batchElimination")),
            continue_until_two_candidates_remain=_flag(
                rules.get("continueUntilTwoCandidatesRemain")
            ),
            hare_quota=_flag(rules.get("hareQuota")),
            non_integer_winning_threshold=_flag(rules.get("nonIntegerWinningThreshold")),
            decimal_places_for_vote_arithmetic=4 if decimals is None else decimals,
            first_round_determines_threshold=_flag(rules.get("doesFirstRoundDetermineThreshold")),
            minimum_vote_threshold=_whole(
                rules.get("minimumVoteThreshold", 0), "minimumVoteThreshold"
            )
            or 0,
        )


def clean_ballot(
    marks: Sequence[Sequence[str] | str], index: Mapping[str, int], rules: RctabRules
) -> tuple[list[int], str | None]:
    """Apply the per-ballot rules to one raw ballot.

    ``marks[r]`` lists the candidates marked at rank r + 1 (``[]`` skipped, two or more an
    overvote, or the ``"#overvote"`` label).  Returns the candidate indices the ballot can count
    for, in order, and why it stops early (``"overvote"``, ``"skipped"``, ``"duplicate"``) or
    None.

    >>> clean_ballot([["A"], [], [], ["B"]], {"A": 0, "B": 1}, RctabRules(max_skipped_ranks_allowed=1))
    ([0], 'skipped')
    """
    out: list[int] = []
    seen: set[str] = set()
    last = 0
    for r, at_rank in enumerate(marks, start=1):
        if rules.max_rankings_allowed is not None and r > rules.max_rankings_allowed:
            break
        names = [at_rank] if isinstance(at_rank, str) else list(dict.fromkeys(at_rank))
        if not names:
            continue
        if (
            rules.max_skipped_ranks_allowed is not None
            and r - last > rules.max_skipped_ranks_allowed + 1
        ):
            return out, "skipped"
        last = r
        if len(names) > 1 or names[0] == OVERVOTE_LABEL:
            if rules.overvote_rule == "exhaustImmediately":
                return out, "overvote"
            continue
        name = names[0]
        if name not in index:
            raise VotingError(f"ballot marks unknown candidate {name!r}")
        if name in seen:
            if rules.exhaust_on_duplicate_candidate:
                return out, "duplicate"
            continue
        seen.add(name)
        out.append(index[name])
    return out, None


def rctab_tabulate(
    case: Mapping[str, Any], *, rng: np.random.Generator | None = None
) -> CountResult:
    """Count a case in the conformance-file form (see ``tests/conformance/rctab/README.md``).

    ``case`` needs ``candidates`` (names in RCTab config order), ``rules`` (RCTab settings) and
    ``raw_ballots`` (``[[marks per rank], count]`` pairs); ``excluded`` is optional.  Results use
    candidate indices in ``details["candidates"]`` (which ends with ``UNDECLARED_WRITE_IN`` when
    ballots mark it).
    """
    try:
        candidates = list(case["candidates"])
        rules = RctabRules.from_config(case["rules"])
        raw = case["raw_ballots"]
    except KeyError as exc:
        raise VotingError(f"an RCTab case needs {exc.args[0]!r}") from None
    ballots = [(list(b[0]), int(b[1])) for b in raw]
    return rctab_count(candidates, ballots, rules, excluded=case.get("excluded", ()), rng=rng)


def _threshold(active: int, seats: int, rules: RctabRules, unit: int) -> int:
    """The winning threshold in units of 10**-d, from ``active`` votes (also in units)."""
    if rules.hare_quota:
        t = active // seats
        return t + (1 if rules.non_integer_winning_threshold else 0)
    if rules.non_integer_winning_threshold:
        return active // (seats + 1) + 1
    return (active // (seats + 1)) // unit * unit + unit


def _batch(tallies: Mapping[int, int]) -> list[int]:
    """RCTab batch elimination: candidates whose combined votes are below the next tally."""
    by_tally: dict[int, list[int]] = {}
    for c, v in tallies.items():
        by_tally.setdefault(v, []).append(c)
    running = 0
    seen: list[int] = []
    out: list[int] = []
    for v in sorted(by_tally):
        if running < v:
            out.extend(c for c in seen if c not in out)
        running += v * len(by_tally[v])
        seen.extend(by_tally[v])
    return out if len(out) > 1 else []


def rctab_count(
    candidates: Sequence[str],
    ballots: Sequence[tuple[Sequence[Sequence[str] | str], int]],
    rules: RctabRules,
    *,
    excluded: Sequence[str] = (),
    rng: np.random.Generator | None = None,
) -> CountResult:
    """Count raw ballots ``[(marks per rank, count), ...]`` under ``rules`` (module docstring)."""
    names = list(candidates)
    if len(set(names)) != len(names) or not names:
        raise VotingError("candidate names must be unique and there must be at least one")
    index = {nm: i for i, nm in enumerate(names)}
    uses_uwi = UNDECLARED_WRITE_IN not in index and any(
        (m == UNDECLARED_WRITE_IN) if isinstance(m, str) else (UNDECLARED_WRITE_IN in m)
        for marks, _ in ballots
        for m in marks
    )
    uwi = -1
    if uses_uwi:
        uwi = len(names)
        names.append(UNDECLARED_WRITE_IN)
        index[UNDECLARED_WRITE_IN] = uwi
    for nm in excluded:
        if nm not in index:
            raise VotingError(f"excluded candidate {nm!r} is not a candidate")
    n = len(names)
    tie_break = _TIEBREAKS[rules.tiebreak_mode]
    seats = rules.number_of_winners
    single = seats == 1
    d = rules.decimal_places_for_vote_arithmetic
    unit = 10**d

    # group identical cleaned ballots; undervotes (no marks at all) take no part
    groups: dict[tuple[int, ...], int] = {}
    undervotes = 0
    for marks, count in ballots:
        if count < 0:
            raise VotingError("ballot counts must be >= 0")
        if not any((m if isinstance(m, str) else len(m)) for m in marks):
            undervotes += count
            continue
        kept, _ = clean_ballot(marks, index, rules)
        groups[tuple(kept)] = groups.get(tuple(kept), 0) + count
    rows = list(groups)
    width = max((len(r) for r in rows), default=0)
    arr = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        arr[i, : len(r)] = r
    cols, _ = _validate_array(arr, n)
    counts = np.array([groups[r] for r in rows], dtype=np.int64)
    value = np.full(len(rows), unit, dtype=np.int64)
    fp = np.arange(len(rows), dtype=np.int64)
    cur = cols[0].copy()

    status = np.zeros(n, dtype=np.int8)  # 0 continuing, 1 elected, 3 excluded
    stop = np.ones(n + 1, dtype=bool)
    for nm in excluded:
        status[index[nm]] = 3
        stop[index[nm]] = False
    start = np.flatnonzero(~np.take(stop, cur))
    if start.size:
        cur[start] = _advance(cols, fp, start, stop)

    def dec(v: int) -> Decimal:
        return Decimal(int(v)).scaleb(-d)

    winners: list[int] = []
    rounds: list[CountRound] = []
    history: list[np.ndarray[Any, Any]] = []
    threshold: int | None = None
    action: tuple[str, list[int]] | None = None
    surplus_from: dict[int, int] = {}
    elected_with: dict[int, int] = {}  # each winner's tally in the round it was elected
    final_round = False
    lost = 0
    while True:
        # 1. apply the previous round's action (after the last seat the surplus is set aside)
        if final_round:
            action = None
        if action is not None and action[0] == "exclude":
            for c in action[1]:
                status[c] = 3
                stop[c] = False
            moving = np.flatnonzero(np.isin(cur, action[1]))
            if moving.size:
                cur[moving] = _advance(cols, fp, moving, stop)
        elif action is not None and action[0] == "surplus":
            for w in action[1]:
                stop[w] = False
            for w in action[1]:
                total = surplus_from[w]
                assert threshold is not None
                frac = (total - threshold) * unit // total if total > 0 else 0
                moving = np.flatnonzero(cur == w)
                before = int((counts[moving] * value[moving]).sum())
                value[moving] = value[moving] * frac // unit
                lost += before - threshold - int((counts[moving] * value[moving]).sum())
                if moving.size:
                    cur[moving] = _advance(cols, fp, moving, stop)
        action = None
        # 2. tally
        sums = _sum_by(cur, counts * value, n, True)
        t = sums[:n]
        in_count = [c for c in range(n) if status[c] != 3]
        active = int(sum(int(t[c]) for c in in_count))
        if threshold is None or (
            single and not winners and not rules.first_round_determines_threshold
        ):
            threshold = _threshold(active, seats, rules, unit)
        shown: dict[int, Any] = {}
        for c in in_count:
            # several seats: a winner whose surplus has moved shows the threshold
            shown[c] = dec(threshold) if (not single and status[c] == 1) else dec(t[c])
        exhausted = dec(sums[n])
        notes: list[str] = []
        if final_round:
            # the last winners' surplus is set aside: a winner above the threshold shows the
            # threshold; one elected below it (seats left = continuing candidates) keeps its votes
            for c in winners:
                shown[c] = dec(min(threshold, elected_with.get(c, threshold)))
            rounds.append(
                CountRound(
                    len(rounds) + 1,
                    shown,
                    dec(threshold),
                    (),
                    (),
                    {},
                    exhausted,
                    "all seats filled; the winners' final surplus is set aside",
                )
            )
            break
        surplus_from = {}
        # 3. elect
        cont = [c for c in range(n) if status[c] == 0 and c != uwi]
        new: list[int] = []
        # RCTab elects nobody while the undeclared write-ins still hold votes: they go first
        uwi_live = uwi >= 0 and status[uwi] == 0 and t[uwi] > 0
        if len(winners) < seats and not uwi_live:
            over = sorted((c for c in cont if t[c] >= threshold), key=lambda c: (-int(t[c]), c))
            if single:
                if over:
                    new = over[:1]
                elif len(cont) == 2 and (uwi < 0 or status[uwi] == 3):
                    a, b = cont
                    if t[a] != t[b]:
                        new = [a if t[a] > t[b] else b]
                    else:
                        new, why = _favour([a, b], history, tie_break, rng)
                        notes.append(why)
                    notes.append("two candidates remain: the one with more votes wins")
            else:
                left = seats - len(winners)
                if len(cont) <= left:
                    new = sorted(cont, key=lambda c: names[c])  # RCTab lists them by name
                    notes.append("continuing candidates no more than the seats left: all elected")
                elif over:
                    if rules.winner_election_mode == "multiWinnerAllowOnlyOneWinnerPerRound":
                        top = [c for c in over if t[c] == t[over[0]]]
                        if len(top) > 1:
                            pick, why = _favour(top, history, tie_break, rng)
                            new = pick
                            notes.append(why)
                        else:
                            new = over[:1]
                    else:
                        new = over[:left]
        for c in new:
            status[c] = 1
            winners.append(c)
            elected_with[c] = int(t[c])
            if not single:
                surplus_from[c] = int(t[c])
        eliminated: list[int] = []
        remaining = [c for c in range(n) if status[c] != 3]
        if new:
            notes.append(f"elected: {', '.join(names[c] for c in new)}")
            if not single:
                action = ("surplus", new)
        else:
            keep_going = len(winners) < seats or (
                single and rules.continue_until_two_candidates_remain and len(remaining) > 2
            )
            if keep_going:
                eliminated, why = _choose_exclusions(
                    t, cont, uwi, status, rules, history, tie_break, rng
                )
                notes.append(why)
                action = ("exclude", eliminated)
        rounds.append(
            CountRound(
                len(rounds) + 1,
                shown,
                dec(threshold),
                tuple(new),
                tuple(eliminated),
                {},
                exhausted,
                "; ".join(notes),
            )
        )
        history.append(t.copy())
        if new and not single and not any(status[c] == 0 and c != uwi for c in range(n)) and (
            len(winners) < seats
        ):
            break  # more seats than candidates: every candidate won, nothing is left to count
        if new and not single and len(winners) >= seats:
            final_round = True
        elif new and single:
            if not (rules.continue_until_two_candidates_remain and len(remaining) > 2):
                break
        elif not new and not eliminated:
            break
    details = {
        "candidates": names,
        "rules": rules,
        "undervotes": undervotes,
        "decimals": d,
        "residual_surplus": dec(lost),
    }
    return CountResult("rctab", tuple(winners), tuple(rounds), details)


def _favour(
    tied: list[int], history: list[Any], tie_break: str, rng: np.random.Generator | None
) -> tuple[list[int], str]:
    if tie_break == "stop":
        raise VotingError("a tie needs a decision and tiebreakMode is stopCountingAndAsk")
    if "random" in tie_break and rng is None:
        raise VotingError("this tie needs a random draw: pass rng (a numpy.random.Generator)")
    pick, why = _break_tie(tied, loser=False, history=history, tie_break=tie_break, rng=rng)
    return [pick], why


def _choose_exclusions(
    t: Any,
    cont: list[int],
    uwi: int,
    status: Any,
    rules: RctabRules,
    history: list[Any],
    tie_break: str,
    rng: np.random.Generator | None,
) -> tuple[list[int], str]:
    if uwi >= 0 and status[uwi] == 0:
        return [uwi], "undeclared write-ins excluded"
    unit = 10**rules.decimal_places_for_vote_arithmetic
    if rules.minimum_vote_threshold > 0:
        low = [c for c in cont if t[c] < rules.minimum_vote_threshold * unit]
        if low:
            return low, "candidates below the minimum vote threshold excluded"
    if rules.batch_elimination:
        batch = _batch({c: int(t[c]) for c in cont})
        if batch:
            return sorted(batch), "batch elimination"
    lowest = min(int(t[c]) for c in cont)
    tied = [c for c in cont if t[c] == lowest]
    if len(tied) == 1:
        return tied, "fewest votes excluded"
    if tie_break == "stop":
        raise VotingError("a tie needs a decision and tiebreakMode is stopCountingAndAsk")
    if "random" in tie_break and rng is None:
        raise VotingError("this tie needs a random draw: pass rng (a numpy.random.Generator)")
    pick, why = _break_tie(tied, loser=True, history=history, tie_break=tie_break, rng=rng)
    return [pick], f"{why}; fewest votes excluded"
