"""What the NLP knows about news outlets, as a plain data object the caller passes in.

Outlet names hold place names ('Kaltim Post', 'Tribun-Papua', 'TIMES Samarinda') that are
not place mentions, datelines name the outlet beside the place ('SAMARINDA, KOMPAS.com -'),
and an outlet's web domain hints at its home province. None of that is NLP knowledge: it
belongs to the outlet registry (crawler/outlets.toml and crawler/data/known_outlets.toml),
which builds an :class:`OutletLexicon` (``crawler.registry.outlet_lexicon()``). nlp never
reads the registry itself; without a lexicon it knows no outlets (``OutletLexicon()``).
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from functools import cached_property
from typing import Any

READS: tuple[str, ...] = ()  # no data file: the lexicon comes from the caller (the outlet registry)


@dataclass(frozen=True)
class OutletLexicon:
    """Outlet names and domains; hashable, so components can cache what they derive from it.

    - ``names``: outlet names as written in running text; a place name inside one is not a
      mention (regions).
    - ``dateline_names``: outlet names as written in datelines ('ANTARA', 'Jubi',
      'TRIBUNKALTIM.CO'), to tell the outlet from the place (nlp.dateline).
    - ``domains``: (domain, home province code) pairs; the code ``"*"`` marks a national
      network whose regional editions live on subdomains named after a place
      (kaltim.tribunnews.com).
    """

    names: tuple[str, ...] = ()
    dateline_names: tuple[str, ...] = ()
    domains: tuple[tuple[str, str], ...] = ()

    @cached_property
    def dateline_keys(self) -> frozenset[str]:
        """Lower-case dateline names (what nlp.dateline compares against)."""
        return frozenset(n.strip().lower() for n in self.dateline_names if n.strip())

    @cached_property
    def domain_table(self) -> dict[str, str]:
        """Lower-case domain -> province code (or '*')."""
        return {d.lower().strip(): p.strip() for d, p in self.domains}

    def fingerprint(self) -> str:
        """A short hash of the content: part of the pipeline version (outputs depend on it)."""
        h = hashlib.sha256(repr((self.names, self.dateline_names, self.domains)).encode())
        return h.hexdigest()[:12]


NO_OUTLETS = OutletLexicon()


_GIVEN: weakref.WeakKeyDictionary[Any, OutletLexicon] = weakref.WeakKeyDictionary()


def configure(nlp: Any, outlets: OutletLexicon | None) -> None:
    """Hand ``outlets`` to every component of ``nlp`` that reads outlet names.

    A component declares that it does by having an ``outlets`` attribute (suar_sentences,
    suar_regions); nlp.annotate reads it back with :func:`outlets_of` for home provinces.
    """
    lexicon = outlets or NO_OUTLETS
    for _, proc in nlp.pipeline:
        if hasattr(proc, "outlets"):
            proc.outlets = lexicon
    _GIVEN[nlp] = lexicon


def outlets_of(nlp: Any) -> OutletLexicon:
    """The lexicon ``nlp`` was configured with (none known when never configured)."""
    return _GIVEN.get(nlp, NO_OUTLETS)
