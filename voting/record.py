"""The decision record: canonical bytes, digest chain, overrides, building and verifying.

Implements ``docs/record-format.md``: schema versions 1 and 2 (frozen: every record ever
published keeps verifying by the rules of its version) and schema version 3, which new rounds
publish.  Schema 2 is schema 1 plus who declared each conflict and when (``declared_by``,
``when``, and for a conflict recorded after scoring closed its published ``reason``), and the
output ``outputs.after_close``: every change made after scoring closed.  Schema 3 is schema 2
plus the declared chain of decision stages (``rules.stages``), each sheet's strong-objection
flag, the panel's ``ballots`` and ``consents``, and every stage's outputs
(:mod:`voting.stages`).  The JSON Schema of every version ships as
``voting/schema/decision-record.schema.json``.

Public API
----------
canonical_json   the exact bytes of a published record
record_digest    ``"sha256:" + hex`` of the canonical JSON without the ``digest`` key
apply_overrides  the ``decision`` section: the computed funding plus staff overrides
build_record     a complete, sealed record from the input sections (schema 1, 2 or 3)
record_outputs   the ``outputs`` section for the inputs' schema version
verify_record    dispatch on ``schema_version``; recompute everything and report the first
                 mismatch (never raises)
verify_record_bytes  a published file: exactly the canonical bytes, its arrays in their
                 required order, then :func:`verify_record` (what ``python -m voting verify``
                 runs)
sorted_arrays_problem  the first array out of its required order: ``applications`` by id;
                 from schema 3 ``ballots`` and ``consents`` by member in panel order
check_chain      records in chain order: each ``previous_digest`` is the digest of the one
                 before; forks and gaps named by file
name_by_id       a mismatch path with list positions replaced by the item's ``id`` (or, in
                 the per-member lists of schema 3, its ``member``)
VerifyReport     the named, immutable result of :func:`verify_record`
SCHEMA_VERSIONS, CURRENT_SCHEMA_VERSION, SCHEMA_KEYS (top-level keys per version), OPTIONAL_KEYS,
RECORD_KEYS (versions 1 and 2), RECORD_KEYS_3, DECLARED_BY, WHEN, OUTCOMES,
REASON_MAX_LENGTH

Decision rule (``apply_overrides``): the funded list is the computed ``outputs.funding.funded``
in order, minus every application with an ``"unfund"`` override, then every application with a
``"fund"`` override, in override order.  Each override names an existing application, has a
non-empty written reason, and appears at most once per application; ``"fund"`` needs an
application the count did not fund and ``"unfund"`` one it did.  ``outcome`` is
``"overridden"`` exactly when there is at least one override.  Overrides may fund an
ineligible application or exceed the budget: they are staff decisions, published with their
reasons, and the engine records them rather than second-guessing them (the web app enforces
its own limits before calling here).

Verification (``verify_record``) reads ``schema_version`` and runs that version's steps
(:data:`SCHEMA_VERSIONS`); an unknown version fails at ``schema_version``, naming it.  Schema
1 checks, in order: the schema (exactly the top-level sections of version 1, no floats
anywhere, a well-formed ``previous_digest``); the revealed seed against its commitment; every
output recomputed from the inputs with :func:`voting.panel.decide_round` and compared field by
field (dictionary keys in sorted order, list items by position), naming the first differing
path such as ``outputs.applications[3].aggregate``; the decision recomputed from the outputs
and the recorded overrides; the digest.  Schema 2 runs the same steps, with the conflict
fields of schema 2 checked before the recount and ``outputs.after_close`` recomputed with the
other outputs.  Schema 3 runs the same steps with the sections of :data:`RECORD_KEYS_3`, the
schema-2 conflict checks, then every stage recomputed by :func:`voting.stages.decide_stages`
(which checks the chain, the sheets, the ballots and the consents, naming the field, e.g.
``ballots[2].ranking[1]``) and compared field by field with ``outputs`` as above.  A
schema-3 record may also carry the optional ``assignment`` section (:data:`OPTIONAL_KEYS`):
who was asked to read which application; it changes no output, and when present the recount
also checks it by the rules of :mod:`voting.assignment` (every counted sheet is by a member
assigned its application).  It may also carry the optional ``withdrawn`` section:
applications pulled out before the decision, each with its published reason; they are not in
``applications`` and change no output, and when present the recount checks the section by the
rules of :mod:`voting.withdrawn`.

Schema 2 counting (:func:`record_outputs`): the counting rules are exactly schema 1's
(:func:`voting.panel.decide_round` runs on the record with each conflict cut down to its
schema-1 fields); then ``after_close`` lists, in the order of ``conflicts``, each conflict
whose ``when`` is ``"after-close"`` as ``{"kind": "conflict", "member", "application",
"declared_by", "reason", "sheet_withdrawn"}``, where ``sheet_withdrawn`` is true exactly when
``sheets`` holds a sheet (any stage) by that member for that application (the app publishes
the sheets such a conflict withdrew, so anyone can recount with and without it).  Schema 3
counting: the conflicts as schema 2, then :func:`voting.stages.decide_stages` (its module
docstring states every rule), whose outputs include ``after_close`` as schema 2's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voting.assignment import ASSIGNMENT_KEY, check_assignment, describe_assignment
from voting.draws import seed_commitment
from voting.errors import VotingError
from voting.panel import INPUT_KEYS, InputError, decide_round
from voting.withdrawn import WITHDRAWN_KEY, check_withdrawn, describe_withdrawn

__all__ = ["CURRENT_SCHEMA_VERSION", "DECLARED_BY", "OPTIONAL_KEYS", "OUTCOMES", "RECORD_KEYS",
           "RECORD_KEYS_3", "REASON_MAX_LENGTH", "SCHEMA_KEYS", "SCHEMA_VERSIONS", "VerifyReport", "WHEN",
           "apply_overrides", "build_record", "canonical_json", "check_chain", "name_by_id",
           "record_digest", "record_outputs", "sorted_arrays_problem", "verify_record",
           "verify_record_bytes"]

#: The top-level keys of a schema-1 or schema-2 record (the two have the same), inputs first.
RECORD_KEYS = ("schema_version", "voting_version", "organisation", *INPUT_KEYS[1:], "outputs",
               "decision", "previous_digest", "digest")
#: The top-level keys of a schema-3 record: schema 2's plus the panel's ``ballots`` and
#: ``consents``.
RECORD_KEYS_3 = ("schema_version", "voting_version", "organisation", *INPUT_KEYS[1:-1],
                 "ballots", "consents", INPUT_KEYS[-1], "outputs", "decision",
                 "previous_digest", "digest")
#: The top-level keys of a record by schema version (exactly these, no others).
SCHEMA_KEYS: Mapping[int, tuple[str, ...]] = {1: RECORD_KEYS, 2: RECORD_KEYS, 3: RECORD_KEYS_3}
#: Top-level keys a record of a version may carry besides :data:`SCHEMA_KEYS` (each says
#: what a record without it means): schema 3's ``assignment`` (:mod:`voting.assignment`)
#: and ``withdrawn`` (:mod:`voting.withdrawn`).
OPTIONAL_KEYS: Mapping[int, tuple[str, ...]] = {1: (), 2: (),
                                                3: (ASSIGNMENT_KEY, WITHDRAWN_KEY)}
#: The schema version new records are built with.
CURRENT_SCHEMA_VERSION = 3
#: Who declared a conflict (schema 2): the member themself, or staff.
DECLARED_BY = ("member", "staff")
#: When a conflict was recorded (schema 2): before scoring closed, or after.
WHEN = ("before-close", "after-close")
#: ``decision.outcome``: as counted, or changed by staff with reasons (overrides).
OUTCOMES = ("confirmed", "overridden")
#: The longest published reason for a conflict recorded after scoring closed (schema 2).
REASON_MAX_LENGTH = 1000
_CONFLICT_1_KEYS = ("member", "application", "category")
_CONFLICT_2_KEYS = (*_CONFLICT_1_KEYS, "declared_by", "when")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_OVERRIDE_KEYS = ("application", "action", "reason")
_DECISION_KEYS = ("outcome", "overrides", "funded", "total")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


# --------------------------------------------------------------------------- canonical form


def _plain_json_problem(obj: Any, path: str) -> tuple[str, str] | None:
    """The first value a record may not carry (a float, a non-JSON type): (path, why)."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return None
    if isinstance(obj, float):
        return path, ("is a decimal number; records carry no floats (money is in minor "
                      "units, statistics are decimal strings)")
    if isinstance(obj, Mapping):
        for key in sorted(obj, key=str):
            sub = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):
                return sub, "is a key that is not text"
            problem = _plain_json_problem(obj[key], sub)
            if problem:
                return problem
        return None
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            problem = _plain_json_problem(item, f"{path}[{i}]")
            if problem:
                return problem
        return None
    return path, f"is a {type(obj).__name__}, which a record cannot hold"


def canonical_json(obj: Any) -> bytes:
    """The canonical bytes of ``obj``: sorted keys, no spaces, UTF-8, no floats.

    Exactly ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
    encoded as UTF-8.  Raises :class:`~voting.errors.VotingError` naming the path of a float,
    a non-text key or a value JSON cannot hold.

    >>> canonical_json({"b": [1, None], "a": "£"})
    b'{"a":"\\xc2\\xa3","b":[1,null]}'
    """
    problem = _plain_json_problem(obj, "")
    if problem:
        raise InputError(problem[0] or "(top level)", problem[1])
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text.encode("utf-8")


def record_digest(record: Mapping[str, Any]) -> str:
    """``"sha256:"`` + hex SHA-256 of the canonical JSON of ``record`` without ``digest``."""
    if not isinstance(record, Mapping):
        raise VotingError("a record must be an object (a JSON mapping)")
    body = {k: v for k, v in record.items() if k != "digest"}
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


# --------------------------------------------------------------------------- decision


def apply_overrides(outputs: Mapping[str, Any], overrides: Iterable[Mapping[str, Any]],
                    applications: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``decision`` section: the computed funded list changed by staff overrides.

    ``outputs`` is the engine's outputs (only ``funding.funded`` is read); ``overrides`` are
    ``{"application", "action": "fund"|"unfund", "reason"}`` mappings; ``applications`` the
    record's applications (for ids and amounts).  The rule is in the module docstring.
    Raises :class:`~voting.panel.InputError` whose ``path`` is ``overrides[i].<field>``.

    >>> apps = [{"id": "A", "amount": 5}, {"id": "B", "amount": 7}]
    >>> out = {"funding": {"funded": ["A"]}}
    >>> apply_overrides(out, [{"application": "B", "action": "fund", "reason": "Local need"}],
    ...                 apps)["funded"]
    [{'application': 'A', 'amount': 5}, {'application': 'B', 'amount': 7}]
    """
    amounts = {a["id"]: a["amount"] for a in applications}
    computed = list(outputs["funding"]["funded"])
    if isinstance(overrides, (str, bytes, Mapping)):
        raise InputError("overrides", "must be a list of overrides")
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(overrides):
        path = f"overrides[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(path, "must be an object with application, action and reason")
        for key in _OVERRIDE_KEYS:
            if key not in item:
                raise InputError(f"{path}.{key}", "is required but missing")
        for key in item:
            if key not in _OVERRIDE_KEYS:
                raise InputError(f"{path}.{key}", "is not part of an override "
                                 f"(allowed: {', '.join(_OVERRIDE_KEYS)})")
        app_id, action, reason = item["application"], item["action"], item["reason"]
        if not isinstance(app_id, str) or app_id not in amounts:
            raise InputError(f"{path}.application", f"{app_id!r} is not an application")
        if app_id in seen:
            raise InputError(f"{path}.application",
                             f"{app_id} is overridden twice; give one override per application")
        seen.add(app_id)
        if action not in ("fund", "unfund"):
            raise InputError(f"{path}.action", f"must be 'fund' or 'unfund', not {action!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(f"{path}.reason",
                             "an override needs a written reason (it is published)")
        if action == "fund" and app_id in computed:
            raise InputError(f"{path}.action", f"{app_id} is already funded by the count")
        if action == "unfund" and app_id not in computed:
            raise InputError(f"{path}.action", f"{app_id} is not funded by the count")
        clean.append({"application": app_id, "action": action, "reason": reason})
    unfunded = {o["application"] for o in clean if o["action"] == "unfund"}
    funded = [a for a in computed if a not in unfunded]
    funded += [o["application"] for o in clean if o["action"] == "fund"]
    return {
        "outcome": OUTCOMES[1] if clean else OUTCOMES[0],
        "overrides": clean,
        "funded": [{"application": a, "amount": amounts[a]} for a in funded],
        "total": sum(amounts[a] for a in funded),
    }


# --------------------------------------------------------------------------- schema 2


def _conflict_2_problem(item: Any, path: str) -> InputError | None:
    """The first way a schema-2 conflict breaks the rules of docs/record-format.md, or None.

    Only the schema-2 fields are checked here (``member``, ``application`` and ``category``
    are checked by the schema-1 recount): ``declared_by`` is ``"member"`` or ``"staff"``;
    ``when`` is ``"before-close"`` or ``"after-close"``; an after-close conflict has
    ``reason``, text that is not blank, at most :data:`REASON_MAX_LENGTH` characters, with no
    control character other than tab, line feed and carriage return, and equal to itself with
    leading and trailing white space removed; a before-close conflict has no ``reason``; no
    other key is allowed.
    """
    if not isinstance(item, Mapping):
        return InputError(path, "must be an object (a JSON mapping of names to values)")
    allowed = (*_CONFLICT_2_KEYS, "reason")
    for key in _CONFLICT_2_KEYS:
        if key not in item:
            return InputError(f"{path}.{key}", "is required but missing")
    for key in item:
        if key not in allowed:
            return InputError(f"{path}.{key}", f"is not part of schema version 2 (allowed: "
                                               f"{', '.join(allowed)})")
    if item["declared_by"] not in DECLARED_BY:
        return InputError(f"{path}.declared_by", f"must be 'member' or 'staff', not "
                                                 f"{item['declared_by']!r}")
    if item["when"] not in WHEN:
        return InputError(f"{path}.when", f"must be 'before-close' or 'after-close', not "
                                          f"{item['when']!r}")
    if item["when"] == "before-close":
        if "reason" in item:
            return InputError(f"{path}.reason", "only a conflict recorded after scoring "
                                                "closed carries a reason")
        return None
    if "reason" not in item:
        return InputError(f"{path}.reason", "a conflict recorded after scoring closed needs "
                                            "its published reason")
    reason = item["reason"]
    if not isinstance(reason, str) or not reason.strip():
        return InputError(f"{path}.reason", "must be a written reason (text that is not blank)")
    if reason != reason.strip():
        return InputError(f"{path}.reason", "must not start or end with white space")
    if len(reason) > REASON_MAX_LENGTH:
        return InputError(f"{path}.reason", f"must be at most {REASON_MAX_LENGTH} characters, "
                                            f"not {len(reason)}")
    if _CONTROL_RE.search(reason):
        return InputError(f"{path}.reason", "must not hold control characters")
    return None


def _check_conflicts_2(conflicts: Any) -> None:
    if not isinstance(conflicts, (list, tuple)):
        raise InputError("conflicts", "must be a list")
    seen: set[tuple[Any, Any]] = set()
    for i, item in enumerate(conflicts):
        problem = _conflict_2_problem(item, f"conflicts[{i}]")
        if problem:
            raise problem
        pair = (item.get("member"), item.get("application"))
        if not (isinstance(pair[0], str) and isinstance(pair[1], str)):
            continue  # the schema-1 checks name the bad member or application
        if pair in seen:
            raise InputError(f"conflicts[{i}]", f"{pair[0]!r} has a second conflict on "
                                                f"{pair[1]!r}; record each conflict once")
        seen.add(pair)


def _schema_1_view(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A schema-2 record's inputs as schema 1 counts them: conflicts cut to their schema-1
    fields (the counting rules of the two versions are the same)."""
    view = {k: inputs[k] for k in INPUT_KEYS if k in inputs}
    view["schema_version"] = 1
    view["conflicts"] = [{k: c[k] for k in _CONFLICT_1_KEYS if k in c}
                         for c in inputs["conflicts"]]
    return view


def _after_close(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``outputs.after_close``: every conflict recorded after scoring closed, in the order of
    ``conflicts``, with whether ``sheets`` holds a sheet it withdrew (any stage)."""
    scored = {(s["member"], s["application"]) for s in inputs["sheets"]}
    return [
        {"kind": "conflict", "member": c["member"], "application": c["application"],
         "declared_by": c["declared_by"], "reason": c["reason"],
         "sheet_withdrawn": (c["member"], c["application"]) in scored}
        for c in inputs["conflicts"] if c["when"] == "after-close"
    ]


def _outputs_2(inputs: Mapping[str, Any]) -> dict[str, Any]:
    _check_conflicts_2(inputs.get("conflicts"))
    try:
        outputs = decide_round(_schema_1_view(inputs))
    except InputError as e:  # the schema-1 checks speak of schema 1; this record is schema 2
        raise InputError(e.path, e.requirement.replace("schema version 1",
                                                       "schema version 2")) from None
    outputs["after_close"] = _after_close(inputs)
    return outputs


def _outputs_3(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Schema 3: the conflict fields of schema 2, then the declared chain of stages
    (:func:`voting.stages.decide_stages`, which also checks every other input section)."""
    from voting.stages import decide_stages  # imported when used (stages uses this module)

    _check_conflicts_2(inputs.get("conflicts"))
    counted = {k: v for k, v in inputs.items() if k not in (ASSIGNMENT_KEY, WITHDRAWN_KEY)}
    outputs = decide_stages(counted)
    if ASSIGNMENT_KEY in inputs:  # optional: adds checks, changes no output
        check_assignment(inputs)
    if WITHDRAWN_KEY in inputs:  # optional: adds checks, changes no output
        check_withdrawn(inputs)
    if "after_close" not in outputs:
        outputs["after_close"] = _after_close(inputs)
    return outputs


#: Each schema version's counting: the ``outputs`` section from the input sections.
_OUTPUTS: dict[int, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    1: decide_round, 2: _outputs_2, 3: _outputs_3}
#: The schema versions this library builds and verifies.
SCHEMA_VERSIONS = tuple(sorted(_OUTPUTS))


def _schema_version(inputs: Mapping[str, Any]) -> int:
    version = inputs.get("schema_version")
    if type(version) is not int or version not in _OUTPUTS:
        raise InputError("schema_version",
                         f"schema version {_show(version)} is not one this library knows (it "
                         f"reads {' and '.join(map(str, SCHEMA_VERSIONS))}); a newer "
                         "verifier may read it")
    return version


def record_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``outputs`` section of a record, by the rules of its ``schema_version``.

    Schema 1: :func:`voting.panel.decide_round`.  Schema 2: the same counting, plus
    ``after_close`` (see the module docstring).  Raises :class:`~voting.panel.InputError`
    naming the first field that breaks the schema, ``schema_version`` for an unknown version.
    """
    if not isinstance(inputs, Mapping):
        raise InputError("record", "the inputs must be an object (a JSON mapping)")
    return _OUTPUTS[_schema_version(inputs)](inputs)


# --------------------------------------------------------------------------- building


def _check_previous_digest(value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _DIGEST_RE.match(value)):
        raise InputError("previous_digest",
                         "must be null (first record) or 'sha256:' followed by 64 lowercase "
                         "hexadecimal characters")


def _check_commitment(randomness: Any) -> None:
    if not isinstance(randomness, Mapping) or "seed" not in randomness \
            or "commitment" not in randomness:
        raise InputError("randomness", "must have a seed and its commitment")
    seed, commitment = randomness["seed"], randomness["commitment"]
    try:
        expected = seed_commitment(seed)
    except VotingError as e:
        raise InputError("randomness.seed", str(e)) from None
    if commitment != expected:
        raise InputError("randomness.seed",
                         f"the revealed seed does not match the published commitment "
                         f"{commitment!r} (the seed hashes to {expected})")


def _input_keys(version: int) -> tuple[str, ...]:
    """The sections a record of ``version`` is built from: every key before ``outputs``."""
    keys = SCHEMA_KEYS[version]
    return keys[:keys.index("outputs")]


def build_record(inputs: Mapping[str, Any], *, overrides: Iterable[Mapping[str, Any]] = (),
                 previous_digest: str | None = None) -> dict[str, Any]:
    """A complete decision record, sealed with its digest.

    ``inputs`` holds the input sections (``schema_version`` 1, 2 or 3, ``voting_version``,
    ``organisation``, ``round``, ``rules``, ``rubric``, ``applications``, ``panel``,
    ``sheets``, ``conflicts``, for schema 3 ``ballots`` and ``consents``, ``randomness``);
    ``outputs``, ``decision``, ``previous_digest`` and ``digest`` are ignored, so an old
    record can be passed; the version's optional sections (:data:`OPTIONAL_KEYS`, e.g. schema
    3's ``assignment``) are kept when given; any other key is refused.  From schema 3 the arrays the format keeps
    sorted must come sorted (:func:`sorted_arrays_problem`; a published file is checked for
    it, so an unsorted one is refused here rather than published).  Checks the seed against
    its commitment first, then computes the outputs by the rules of the inputs' schema version
    (:func:`record_outputs`) and the decision (:func:`apply_overrides`).  The result is a
    plain JSON-ready dict whose :func:`canonical_json` is the published file.
    """
    if not isinstance(inputs, Mapping):
        raise InputError("record", "the inputs must be an object (a JSON mapping)")
    version = _schema_version(inputs)
    input_keys = _input_keys(version)
    for key in inputs:
        if key not in SCHEMA_KEYS[version] and key not in OPTIONAL_KEYS[version]:
            raise InputError(key, f"is not part of schema version {version}")
    for key in input_keys:
        if key not in inputs:
            raise InputError(key, "is required but missing")
    if not isinstance(inputs["voting_version"], str) or not inputs["voting_version"]:
        raise InputError("voting_version", "must be the voting library version as text")
    if not isinstance(inputs["organisation"], str):
        raise InputError("organisation", "must be text")
    _check_commitment(inputs["randomness"])
    _check_previous_digest(previous_digest)
    # A JSON round trip gives a plain copy: the record does not share objects with the caller.
    present = [*input_keys, *(k for k in OPTIONAL_KEYS[version] if k in inputs)]
    record: dict[str, Any] = json.loads(canonical_json({k: inputs[k] for k in present}))
    problem = sorted_arrays_problem(record) if version >= 3 else None
    if problem:
        raise InputError(*problem)
    record["outputs"] = record_outputs(record)
    record["decision"] = apply_overrides(record["outputs"], list(overrides),
                                         record["applications"])
    record["previous_digest"] = previous_digest
    record = json.loads(canonical_json(record))  # plain JSON values, no shared objects
    record["digest"] = record_digest(record)
    return record


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify_record`.

    ok:       every check passed.
    checks:   plain-English lines, one per check that passed, in order.
    mismatch: the path of the first field that failed (``"outputs.applications[3].aggregate"``,
              ``"randomness.seed"``, ``"digest"``), or ``None`` when ``ok``.
    message:  one sentence: what passed, or what differs.
    """

    ok: bool
    checks: list[str] = field(default_factory=list)
    mismatch: str | None = None
    message: str = ""


def _first_difference(expected: Any, actual: Any, path: str) -> tuple[str, str] | None:
    """The first (path, explanation) where ``actual`` differs from ``expected``."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return path, "should be an object"
        for key in sorted(set(expected) | set(actual), key=str):
            sub = f"{path}.{key}"
            if key not in actual:
                return sub, "is missing from the record"
            if key not in expected:
                return sub, "is in the record but is not part of the computed result"
            found = _first_difference(expected[key], actual[key], sub)
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return path, "should be a list"
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            found = _first_difference(e, a, f"{path}[{i}]")
            if found:
                return found
        if len(expected) != len(actual):
            return path, f"has {len(actual)} entries; recomputing gives {len(expected)}"
        return None
    if type(expected) is not type(actual) or expected != actual:
        return path, f"the record says {_show(actual)}; recomputing gives {_show(expected)}"
    return None


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, (dict, list)) \
        else ("an object" if isinstance(value, dict) else "a list")


def _money(amount: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency)
    if symbol is None:
        return f"{amount:,} {currency} minor units"
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 100)
    return f"{sign}{symbol}{whole:,}.{part:02d}"


def _short(digest: str) -> str:
    return digest[:19] + "…" if len(digest) > 19 else digest


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


class _Mismatch(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _check_schema(record: Mapping[str, Any], version: int, checks: list[str]) -> None:
    """Exactly the top-level sections of ``version`` (:data:`SCHEMA_KEYS`), no floats, and
    well-formed text fields and digests."""
    keys = SCHEMA_KEYS[version]
    for key in keys:
        if key not in record:
            raise _Mismatch(key, f"the record has no {key!r} section")
    for key in sorted(record, key=str):
        if key not in keys and key not in OPTIONAL_KEYS[version]:
            raise _Mismatch(str(key), f"{key!r} is not part of schema version {version}")
    problem = _plain_json_problem(record, "")
    if problem:
        raise _Mismatch(problem[0] or "record", problem[1])
    for key, kind in (("voting_version", str), ("organisation", str)):
        if not isinstance(record[key], kind):
            raise _Mismatch(key, f"{key} must be text")
    try:
        _check_previous_digest(record["previous_digest"])
    except InputError as e:
        raise _Mismatch(e.path, e.requirement) from None
    if not isinstance(record["digest"], str) or not _DIGEST_RE.match(record["digest"]):
        raise _Mismatch("digest", "must be 'sha256:' followed by 64 lowercase hex characters")
    checks.append(f"schema version {version}, written by voting "
                  f"{record['voting_version']}, with every section present and no floats")


def _check_seed(record: Mapping[str, Any], checks: list[str]) -> None:
    try:
        _check_commitment(record["randomness"])
    except InputError as e:
        raise _Mismatch(e.path, e.requirement) from None
    checks.append(f"seed matches its published commitment {_short(record['randomness']['commitment'])}")


def _check_outputs(record: Mapping[str, Any], outputs: dict[str, Any],
                   checks: list[str]) -> None:
    diff = _first_difference(outputs, record["outputs"], "outputs")
    if diff:
        raise _Mismatch(diff[0], f"{diff[1]} (the inputs or this output were edited)")
    n_sheets, n_conflicts = len(record["sheets"]), len(record["conflicts"])
    checks.append(f"{_plural(len(outputs['applications']), 'application result')} recomputed "
                  f"from {_plural(n_sheets, 'score sheet')} and "
                  f"{_plural(n_conflicts, 'declared conflict')}")
    which = "score order" if "stages" in outputs else "final order"
    checks.append(f"{which} of {_plural(len(outputs['order']), 'ranked application')} "
                  f"recomputed, with {_plural(len(outputs['ties']), 'tie')} and "
                  f"{_plural(len(outputs['draws']), 'seeded draw')}")
    rnd, funding = record["round"], outputs["funding"]
    currency = rnd["currency"]
    if "stages" in outputs:  # schema 3: the funding stage declares its rule
        how = f"rule {funding['rule']!r}"
    else:
        how = f"fit rule {record['rules']['fit_rule']!r}"
    checks.append(f"funding line recomputed: {_plural(len(funding['funded']), 'application')} "
                  f"funded, {_money(funding['spent'], currency)} of the "
                  f"{_money(rnd['budget'], currency)} budget ({rnd['involvement']}, {how})")


def _check_decision(record: Mapping[str, Any], outputs: dict[str, Any],
                    checks: list[str]) -> None:
    currency = record["round"]["currency"]
    decision = record["decision"]
    if not isinstance(decision, Mapping):
        raise _Mismatch("decision", "the decision must be an object")
    if "overrides" not in decision:
        raise _Mismatch("decision.overrides", "the decision has no list of overrides")
    overrides = decision["overrides"]
    if not isinstance(overrides, list):
        raise _Mismatch("decision.overrides", "must be a list of overrides")
    try:
        expected = apply_overrides(outputs, overrides, record["applications"])
    except InputError as e:
        raise _Mismatch(f"decision.{e.path}", e.requirement) from None
    diff = _first_difference(expected, decision, "decision")
    if diff:
        raise _Mismatch(diff[0], f"{diff[1]} (the decision does not follow from the outputs "
                                 "and overrides)")
    n_over = len(expected["overrides"])
    how = "confirmed as computed" if not n_over else \
        f"overridden by staff ({_plural(n_over, 'override')}, each with a published reason)"
    checks.append(f"decision: {how}; {len(expected['funded'])} funded, total "
                  f"{_money(expected['total'], currency)}")


def _check_digest(record: Mapping[str, Any], checks: list[str]) -> None:
    digest = record_digest(record)
    if digest != record["digest"]:
        raise _Mismatch("digest", f"the record's contents hash to {digest}, not the digest it "
                                  f"states ({record['digest']}); something was edited")
    previous = record["previous_digest"]
    chain = "first record in the chain" if previous is None else \
        f"follows the record with digest {_short(previous)}"
    checks.append(f"digest {_short(digest)} matches the record's contents ({chain})")


def _recount(count: Callable[[Mapping[str, Any]], dict[str, Any]],
             record: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return count(record)
    except InputError as e:
        raise _Mismatch(e.path, f"the inputs cannot be counted: {e.requirement}") from None
    except VotingError as e:  # pragma: no cover - every input error carries a path
        raise _Mismatch("record", f"the inputs cannot be counted: {e}") from None


def _stage_lines(record: Mapping[str, Any], outputs: Mapping[str, Any]) -> list[str]:
    """Schema 3: one plain-English line per recomputed stage (reported after the recount,
    which compared every stage output field by field)."""
    lines = [f"stages recomputed in their declared order: {', '.join(outputs['stages'])}"]
    calibration = outputs.get("calibration")
    if calibration:
        warn = " (warning: the panel's scoring design is not connected)" \
            if calibration.get("warning") else ""
        lines.append(f"reviewer calibration ({calibration['method']}) recomputed{warn}")
    consensus = outputs.get("consensus")
    if consensus:
        alpha = consensus.get("alpha")
        lines.append(f"consensus: {_plural(len(consensus['flagged']), 'application')} flagged "
                     f"for discussion, panel agreement (Krippendorff's alpha) "
                     f"{'undefined' if alpha is None else alpha}")
    ranked = outputs.get("ranked")
    if ranked:
        lines.append(f"ranked vote ({ranked['method']}) recounted from "
                     f"{_plural(ranked['ballots'], 'ballot')} on a shortlist of "
                     f"{len(ranked['shortlist'])}: {_plural(len(ranked['rounds']), 'round')}, "
                     f"winners {', '.join(ranked['winners']) or 'none'}")
    lottery = outputs["funding"].get("lottery")
    if lottery:
        lines.append(f"partial lottery among {_plural(len(lottery['group']), 'application')} "
                     "drawn again from the seed")
    consent = outputs.get("consent")
    if consent:
        lines.append(f"consent ({consent['rule']}): {_plural(consent['consents'], 'consent')}, "
                     f"{_plural(len(consent['objections']), 'objection')}, "
                     f"{'passed' if consent['passed'] else 'not passed'}")
    sensitivity = outputs.get("sensitivity") or []
    if sensitivity:
        depends = outputs.get("depends") or []
        lines.append(f"sensitivity: {_plural(len(sensitivity), 'alternative')} recounted; "
                     f"{_plural(len(depends), 'application')} funded under some but not all")
    return lines


def _verify_version(record: Mapping[str, Any], version: int, checks: list[str]) -> None:
    """One schema version's steps (docs/record-format.md): sections, seed, outputs counted by
    that version's rules (:data:`_OUTPUTS`), decision, digest.  Schema 2's outputs add
    ``after_close``, and schema 3's the stage outputs, reported after the recount."""
    _check_schema(record, version, checks)
    _check_seed(record, checks)
    outputs = _recount(_OUTPUTS[version], record)
    _check_outputs(record, outputs, checks)
    if "after_close" in outputs:
        late = outputs["after_close"]
        withdrawn = sum(1 for c in late if c["sheet_withdrawn"])
        checks.append(
            "no conflict was recorded after scoring closed" if not late else
            f"{_plural(len(late), 'conflict')} recorded after scoring closed, each with its "
            f"published reason ({_plural(withdrawn, 'score sheet')} withdrawn by them)")
    if "stages" in outputs:
        checks.extend(_stage_lines(record, outputs))
    if ASSIGNMENT_KEY in record and ASSIGNMENT_KEY in OPTIONAL_KEYS[version]:
        checks.append(describe_assignment(record))
    if WITHDRAWN_KEY in record and WITHDRAWN_KEY in OPTIONAL_KEYS[version]:
        checks.append(describe_withdrawn(record))
    _check_decision(record, outputs, checks)
    _check_digest(record, checks)


def _verify_steps(record: Any, checks: list[str]) -> None:
    if not isinstance(record, Mapping):
        raise _Mismatch("record", "a decision record must be a JSON object")
    if "schema_version" not in record:
        raise _Mismatch("schema_version", "the record has no schema_version")
    version = record["schema_version"]
    if type(version) is not int or version not in _OUTPUTS:
        known = " and ".join(map(str, SCHEMA_VERSIONS))
        raise _Mismatch("schema_version",
                        f"the record says schema version {_show(version)}, which this "
                        f"verifier does not know (it reads schema versions {known}); get a "
                        "newer verifier from the organisation that published the record")
    _verify_version(record, version, checks)


def verify_record(record: Any) -> VerifyReport:
    """Check a decision record: recompute every output and the decision, check the digest.

    Dispatches on ``schema_version`` (an unknown version fails at ``schema_version``, naming
    it).  Never raises on a bad record: a malformed or edited record gives ``ok=False`` with
    ``mismatch`` naming the first field that failed and ``message`` saying why.  The order of
    checks is in the module docstring.
    """
    checks: list[str] = []
    try:
        _verify_steps(record, checks)
    except _Mismatch as m:
        return VerifyReport(ok=False, checks=checks, mismatch=m.path, message=m.message)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        # A shape no step anticipated: still a failed check, never a crash.
        return VerifyReport(ok=False, checks=checks, mismatch="record",
                            message=f"the record could not be read ({type(e).__name__}: {e})")
    return VerifyReport(ok=True, checks=checks, mismatch=None,
                        message="every output, the decision and the digest match the inputs")


# --------------------------------------------------------------------------- published files


def _member_order_problem(items: Any, panel: Any, name: str) -> tuple[str, str] | None:
    """The first item of ``items`` whose ``member`` does not come strictly after the one
    before it in ``panel`` order (so also a member twice).  Items whose member is not in the
    panel are passed over: the recount names them."""
    if not isinstance(items, list) or not isinstance(panel, list):
        return None
    position = {m: i for i, m in enumerate(panel) if isinstance(m, str)}
    before: tuple[int, str] | None = None
    for i, item in enumerate(items):
        member = item.get("member") if isinstance(item, Mapping) else None
        if not isinstance(member, str) or member not in position:
            continue
        if before is not None and position[member] <= before[0]:
            how = "twice" if member == before[1] else f"after {_show(before[1])}"
            return (f"{name}[{i}].member",
                    f"{name} must be sorted by member in panel order, one per member: "
                    f"{_show(member)} comes {how}")
        before = (position[member], member)
    return None


def sorted_arrays_problem(record: Any) -> tuple[str, str] | None:
    """The first array of a published record that is not in its required order, as (path,
    message), or ``None``.

    ``applications`` is sorted by ``id``, strictly ascending by Unicode code point (the item
    out of order is named, ``applications[i].id``).  From schema 3, ``ballots`` and
    ``consents`` are sorted by ``member`` in the order of ``panel``, strictly (at most one
    per member): ``ballots[i].member``.  Items of the wrong type are passed over (the
    recount names them).  Every other array is in the order its rule gives.
    """
    if not isinstance(record, Mapping):
        return None
    apps = record.get("applications")
    if isinstance(apps, list):
        ids = [a.get("id") if isinstance(a, Mapping) else None for a in apps]
        for i in range(1, len(ids)):
            a, b = ids[i - 1], ids[i]
            if isinstance(a, str) and isinstance(b, str) and not a < b:
                return (f"applications[{i}].id",
                        f"applications must be sorted by id: {_show(b)} comes after {_show(a)}")
    for name in ("ballots", "consents"):
        problem = _member_order_problem(record.get(name), record.get("panel"), name)
        if problem:
            return problem
    return None


def verify_record_bytes(data: bytes) -> VerifyReport:
    """Check a published record file: its bytes, then its contents (:func:`verify_record`).

    The file must be exactly :func:`canonical_json` of the record it holds (UTF-8, no
    byte-order mark, no trailing newline: what the app serves); a pretty-printed or re-encoded
    copy fails at ``file``.  The arrays the format keeps sorted must be sorted
    (:func:`sorted_arrays_problem`: ``applications`` by ``id``; from schema 3 ``ballots``
    and ``consents`` by member in panel order); the first item out of order is named, e.g.
    ``applications[i].id``.  Never raises.
    """
    try:
        text = data.decode("utf-8")
        record = json.loads(text.removeprefix("\ufeff"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return VerifyReport(ok=False, mismatch="file",
                            message=f"the file is not UTF-8 JSON ({e})")
    try:
        canonical: bytes | None = canonical_json(record)
    except VotingError:
        canonical = None  # a float or the like: verify_record names where it is
    if canonical is not None and canonical != data:
        return VerifyReport(
            ok=False, mismatch="file",
            message="the file is not in canonical form (it may have been re-saved or "
                    "pretty-printed by an editor); download the record again: the published "
                    "file is exactly the canonical JSON bytes")
    checks = ["the file is exactly the record's canonical JSON bytes"]
    problem = sorted_arrays_problem(record)
    if problem:
        return VerifyReport(ok=False, checks=checks, mismatch=problem[0], message=problem[1])
    if isinstance(record, Mapping) and isinstance(record.get("applications"), list):
        checks.append("applications sorted by id")
    if isinstance(record, Mapping) and ("ballots" in record or "consents" in record):
        checks.append("ballots and consents sorted by member, in panel order")
    report = verify_record(record)
    return VerifyReport(ok=report.ok, checks=[*checks, *report.checks],
                        mismatch=report.mismatch, message=report.message)


_POSITION_RE = re.compile(r"\[(\d+)\]")


#: Lists whose items are named by ``member`` (at most one item per member): schema 3.
_BY_MEMBER = ("ballots", "consents", "outputs.consent.objections")


def name_by_id(record: Any, path: str) -> str:
    """``path`` with each list position whose item in ``record`` has a text ``id`` written as
    ``[id=...]``: ``outputs.applications[3].mean`` -> ``outputs.applications[id=A-004].mean``
    (also ``outputs.consensus.applications``).  In the schema-3 lists of one item per member
    (``ballots``, ``consents``, ``outputs.consent.objections``) a position is written as
    ``[member=...]``: ``ballots[2].ranking[0]`` -> ``ballots[member=Panel member 4].ranking[0]``.
    Other positions, and paths that do not lead through ``record``, are left as they are."""
    out: list[str] = []
    node: Any = record
    where = ""  # the path so far without list positions
    for part in re.split(r"(\[\d+\])|\.", path):
        if not part:
            continue
        match = _POSITION_RE.fullmatch(part)
        if match:
            i = int(match.group(1))
            node = node[i] if isinstance(node, list) and i < len(node) else None
            ident = node.get("id") if isinstance(node, Mapping) else None
            member = node.get("member") if isinstance(node, Mapping) else None
            if isinstance(ident, str):
                out.append(f"[id={ident}]")
            elif where in _BY_MEMBER and isinstance(member, str):
                out.append(f"[member={member}]")
            else:
                out.append(part)
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
            out.append(("." if out else "") + part)
            where = f"{where}.{part}" if where else part
    return "".join(out)


def check_chain(records: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """The problems with ``records`` as a chain, in the order given, each naming its files.

    ``records`` are ``(file name, record)`` pairs, each already verified on its own.  The
    first record may have any ``previous_digest``; each later one's must be the ``digest`` of
    the one before.  A fork is two records with the same ``previous_digest``; a gap is a later
    record whose ``previous_digest`` names no record in the list; a record whose
    ``previous_digest`` names another record than the one before it is out of order.  An
    empty list means the chain holds.
    """
    problems: list[str] = []
    by_digest: dict[Any, str] = {}
    for name, record in records:
        if record["digest"] in by_digest:
            problems.append(f"{name} and {by_digest[record['digest']]} are the same record "
                            f"(digest {_short(record['digest'])})")
        by_digest.setdefault(record["digest"], name)
    by_previous: dict[Any, str] = {}
    for name, record in records:
        previous = record["previous_digest"]
        if previous in by_previous:
            what = "no record (both say they are the first)" if previous is None \
                else _short(previous)
            problems.append(f"fork: {by_previous[previous]} and {name} both follow {what}")
        else:
            by_previous[previous] = name
    for (before_name, before), (name, record) in zip(records, records[1:], strict=False):
        previous = record["previous_digest"]
        if previous == before["digest"]:
            continue
        if previous is None or previous not in by_digest:
            problems.append(f"gap: {name} follows "
                            f"{'no record' if previous is None else _short(previous)}, which "
                            f"is not in the list (expected {before_name}, digest "
                            f"{_short(before['digest'])})")
        else:
            problems.append(f"out of order: {name} follows {by_digest[previous]}, not "
                            f"{before_name} (list the records oldest first)")
    return problems
