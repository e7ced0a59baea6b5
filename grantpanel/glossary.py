"""The glossary: words the public pages use that need explaining, in one place.

Each entry has an anchor (``/words#fingerprint``), the word as the pages use it, and its meaning
in plain words. Pages link a word here when it must stay (a technical term someone may search
for); elsewhere they use plain words in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString

from grantpanel.i18n import _l


@dataclass(frozen=True)
class Term:
    anchor: str
    word: LazyString
    meaning: LazyString


TERMS: tuple[Term, ...] = (
    Term("panel", _l("Panel"),
         _l("The group of people who read and score the applications. They have lived "
            "experience of what the money is for.")),
    Term("criteria", _l("Criteria"),
         _l("The questions each application is scored on, such as “Who benefits?”. Each one has "
            "a short guide to what each score means.")),
    Term("weight", _l("Weight"),
         _l("How much a question counts. A question with weight 2 counts twice as much as one "
            "with weight 1.")),
    Term("score-sheet", _l("Score sheet"),
         _l("One panel member's scores for one application, one score for each question.")),
    Term("result", _l("Result"),
         _l("What an application's scores add up to: each panel member's weighted total, then "
            "the average (or middle value, if the round says so) of those totals.")),
    Term("quorum", _l("Fewest scores needed (quorum)"),
         _l("The smallest number of panel members who must score an application before it can "
            "be ranked. With fewer, it is set aside for staff to look at.")),
    Term("conflict", _l("Conflict of interest, stepped aside"),
         _l("A panel member who knows an applicant (for example they work there, or are family "
            "or a close friend) steps aside: they do not score that application. We publish how "
            "many stepped aside, never who.")),
    Term("spread", _l("How far apart (spread, standard deviation)"),
         _l("How much the panel members' scores for one application differed. The standard "
            "deviation is one number for this: 0 means everyone gave the same score; the bigger "
            "it is, the more they disagreed.")),
    Term("funding-line", _l("Funding line"),
         _l("The point in the ranked list where the money ran out. Applications above it were "
            "funded.")),
    Term("shortlist", _l("Shortlist and ranked vote"),
         _l("Some rounds take the best-scored applications onto a shortlist, and the panel then "
            "votes by putting them in order of preference.")),
    Term("consent", _l("Consent"),
         _l("A last step in some rounds: each panel member says whether they can live with the "
            "decision.")),
    Term("binding", _l("Binding"),
         _l("When the panel's decision is binding, staff may change it only by writing a reason, "
            "and the reason is published with the decision.")),
    Term("changed-by-staff", _l("Changed by staff"),
         _l("Staff changed the outcome the panel's scores gave for an application. The page shows "
            "each change and the reason.")),
    Term("record", _l("Decision record"),
         _l("One file (in a data format called JSON) that holds everything the decision was made "
            "from: the rules, every score without names, and the result. Anyone can download it "
            "and recount it.")),
    Term("fingerprint", _l("Fingerprint (SHA-256 digest)"),
         _l("A long code worked out from every letter of a file. Change one letter and the code "
            "changes, so matching codes show the file is exactly the one we published. SHA-256 "
            "is the name of the method used to work it out.")),
    Term("seed", _l("Seed and commitment"),
         _l("If applications tie, a random draw can decide. The seed is a secret code, fixed "
            "before scoring began, that decides every draw. The commitment is the seed's "
            "fingerprint, published at the start; the seed is shown with the decision so anyone "
            "can check it was not changed.")),
    Term("chain", _l("Chain of records"),
         _l("Each record names the fingerprint of the one before it. If anyone changed an "
            "earlier record, its fingerprint would no longer match.")),
)
