"""Search of profiles and resources: full text, filters, facet counts, one page of results.

The same query gives the same results on SQLite and PostgreSQL: the text condition is the one of
`databank.textindex` (every word a prefix, no stemming), filters are plain comparisons, results are
ordered by numbers and ids (never by strings, which the two databases collate differently), facets are
counted over the whole result and sorted by count then code.

Who sees what: the text of a profile's personal part (name, contacts, summary, town) is searched only
where the actor may see it; others find the profile by its public part only.

Speed (see benchmarks/databank_search.py): a filtered search is one statement on both databases: the
matching profiles are found once, from a covering index (by territory, by desk, or by id for the matches of
a text or a skill), for every count and the page. The database counts the facets, one grouped pass over the
matching rows whose groups it adds up per column itself; supply chains and offers are counted as sums of
mask bits in the same pass. Occupations and skills are counted over the whole result too, never over a
sample, from the lists of codes the profiles carry in those indexes: PostgreSQL counts them itself, SQLite
(no hash aggregate: it would sort every code) sends them back joined as one text, counted here. The
unfiltered lists of profiles and of resources read the counts of the whole databank that triggers keep
(`FacetCount`). On PostgreSQL the matches of a text, and of occupations and skills, are filtered and counted
from the rows their indexes point to, the profiles' search rows (`ProfileSearch`, which carry copies of what a
search filters and counts, and the lists of codes of their competences, indexed), in the order of their
pages; other sets of matches are looked up as `ANY(ARRAY(...))` (several: intersected first), or, within a
territory, joined to the territory's slice of the covering facet index; JIT is off, and the
resources' facets are grouped by hashing (`_groups_hashed`). The page's profiles are
read as plain rows.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace
from typing import Any, Iterator, Sequence

from sqlalchemy import (
    Integer, Select, String, and_, bindparam, case, cast, except_, false, func, intersect, literal_column, not_, or_,
    select, text, true, union, union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from engine import policy
from engine.cases import Actor
from engine.i18n import DEFAULT_LANGUAGE
from engine.models import Desk

from . import esco, textindex
from .models import CompetenceCode, FacetCount, Profile, ProfileOccupation, ProfileSearch, ProfileSkill, Resource
from .operations import profile_access, profile_record, require_reader, resource_record
from .territory import gazetteer
from .text import query_words
from .vocabulary import CHAIN_BITS, OFFER_BITS, SIZE_BANDS, codes_of, label

FACET_TOP = 12
MAX_PER_PAGE = 200
NULL = literal_column("NULL")
PROFILE_ROWS = Profile.__table__
SEARCH_ROWS = ProfileSearch.__table__  # PostgreSQL: a profile's search row carries what a search filters and counts


@dataclass(frozen=True)
class ProfileQuery:
    text: str = ""
    occupations: tuple[str, ...] = ()  # ESCO URIs or "text:..." keys; any of them
    skills: tuple[str, ...] = ()  # all of them
    min_skill_level: int | None = None  # for the skills asked (1 basic .. 4 expert)
    regions: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    supply_chains: tuple[str, ...] = ()  # any of them
    availability: tuple[str, ...] = ()
    available_by: date | None = None  # available now, or from a date on or before this one
    mobility: tuple[str, ...] = ()
    min_years: int | None = None
    desks: tuple[str, ...] = ()
    sort: str = "recent"  # recent / experience
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class ResourceQuery:
    text: str = ""
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    supply_chains: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()  # any of them
    conditions: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    min_surface: float | None = None
    max_surface: float | None = None
    size_bands: tuple[str, ...] = ()
    available_by: date | None = None
    desks: tuple[str, ...] = ()
    published_only: bool = False
    sort: str = "recent"  # recent / surface
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class FacetValue:
    code: str
    label: str
    count: int


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    items: list[dict[str, Any]]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- profiles ----------------------------------------------------------------------------------------

def profile_conditions(session: Session, actor: Actor, query: ProfileQuery) -> list[ColumnElement[bool]]:
    """The WHERE of a profile search for this actor (also used by export and matching)."""
    return _in_sets(session, _profile_sets(session, actor, query)) + _profile_filters(query) + [_listed(actor)]


def _listed(actor: Actor, rows: Any = PROFILE_ROWS) -> ColumnElement[bool]:
    """Whether the actor may list the profile (of `rows`: the profiles or their search rows)."""
    return policy.listed_profiles_clause(actor, rows.c.desk_id, rows.c.person_id, rows.c.processing_stopped)


def _profile_sets(session: Session, actor: Actor, query: ProfileQuery, matched: Any = None) -> list[Any]:
    """The sets of ids (subqueries) a profile must be in: the text's matches (`matched` if already made),
    the occupations', each skill's."""
    words = query_words(query.text)
    if not words:
        return _competence_sets(query)
    return [(matched if matched is not None else _profile_text(session, actor, words)).scalar_subquery(),
            *_competence_sets(query)]


def _competence_sets(query: ProfileQuery) -> list[Any]:
    """The sets of ids (subqueries) of the profiles with the occupations asked (any), with each skill asked."""
    sets: list[Any] = []
    if query.occupations:
        sets.append(select(ProfileOccupation.profile_id).where(
            ProfileOccupation.key.in_(list(query.occupations))).scalar_subquery())
    for key in query.skills:
        wanted = select(ProfileSkill.profile_id).where(ProfileSkill.key == key)
        if query.min_skill_level:
            wanted = wanted.where(ProfileSkill.level >= query.min_skill_level)
        sets.append(wanted.scalar_subquery())
    return sets


def _coded_competences(session: Session, query: ProfileQuery) -> list[ColumnElement[bool]]:
    """PostgreSQL: the occupations (any) and skills (each) asked, as conditions on the lists of codes that
    the profiles' search rows carry, which their GIN indexes answer: one look in an index instead of a
    look-up of every profile with the skill (thousands for a common one). The codes are read first and
    written in the conditions: the planner then knows how many rows each finds (from the lists' statistics)
    and starts from the rarest, never from a skill's rows to test a text on each. When a minimum level is
    asked with the skills, their rows are read too (the lists carry no levels), as one hashed set each."""
    asked = [*query.occupations, *query.skills]
    if not asked:
        return []
    codes = dict(session.connection().execute(
        select(CompetenceCode.key, CompetenceCode.code).where(CompetenceCode.key.in_(asked))).all())
    conditions: list[ColumnElement[bool]] = []
    if query.occupations:
        wanted = sorted({codes[key] for key in query.occupations if key in codes})
        conditions.append(SEARCH_ROWS.c.occupation_codes.bool_op("&&")(postgresql.array(wanted, type_=Integer))
                          if wanted else false())
    if query.skills:
        if not all(key in codes for key in query.skills):
            return [false()]  # a skill no profile has: nothing is found
        wanted = sorted({codes[key] for key in query.skills})
        conditions.append(SEARCH_ROWS.c.skill_codes.bool_op("@>")(postgresql.array(wanted, type_=Integer)))
    if query.skills and query.min_skill_level:
        conditions += [SEARCH_ROWS.c.profile_id.in_(select(ProfileSkill.profile_id).where(
            ProfileSkill.key == key, ProfileSkill.level >= query.min_skill_level)) for key in query.skills]
    return conditions


def _join_sets(query: ProfileQuery) -> bool:
    """PostgreSQL: whether the sets of matches are to be joined (`IN`: hashed, then the territory's slice of
    the profiles' covering facet index read) rather than each match looked up in the look-up index
    (`ANY(ARRAY(...))`). Looking up costs per match, reading the slice per profile of the territory: a
    territory bounds what is read, however many profiles a word matches. (How, never what: both give the
    same rows.)"""
    return bool(query.regions or query.provinces)


def _in_sets(session: Session, sets: list[Any]) -> list[ColumnElement[bool]]:
    """The profile is in each of these sets (subqueries of ids). On PostgreSQL several sets are intersected
    first and their common ids looked up once: given `id = ANY(a) AND id = ANY(b)`, PostgreSQL 15 tries every
    pair of their ids in the index (two skills of 8,000 profiles each: seconds)."""
    if len(sets) > 1 and textindex.dialect_of(session) == "postgresql":
        sets = [intersect(*[ids.element for ids in sets]).scalar_subquery()]
    return [_in_set(session, ids) for ids in sets]


def _in_set(session: Session, ids: Any, rows: Any = PROFILE_ROWS) -> ColumnElement[bool]:
    """The profile's id (in `rows`: the profiles or their search rows) is in this set."""
    return textindex.among(textindex.dialect_of(session), _id_of(rows), ids)


def _id_of(rows: Any) -> Any:
    """The profile's id in `rows`: the profiles or their search rows."""
    return rows.c.profile_id if rows is SEARCH_ROWS else rows.c.id


def _profile_filters(query: ProfileQuery, rows: Any = PROFILE_ROWS) -> list[ColumnElement[bool]]:
    """The conditions on the profile's own columns (of `rows`: the profiles or their search rows)."""
    c = rows.c
    conditions = _among((c.region, query.regions), (c.province, query.provinces),
                        (c.availability, query.availability), (c.mobility, query.mobility), (c.desk_id, query.desks))
    if query.supply_chains:
        conditions.append(_any_bit(c.chain_mask, query.supply_chains, CHAIN_BITS))
    if query.available_by is not None:
        conditions.append(or_(c.availability == "available",
                              and_(c.availability == "from_date", c.available_from <= query.available_by)))
    if query.min_years is not None:
        conditions.append(c.years_experience >= query.min_years)
    return conditions


def _among(*column_choices: tuple[Any, Any]) -> list[ColumnElement[bool]]:
    """`column IN (chosen values)` for each column whose filter has values chosen."""
    return [column.in_(list(chosen)) for column, chosen in column_choices if chosen]


def _text_scope(session: Session, actor: Actor, words: list[str]) -> str:
    """Which part of the profiles' text decides whether this actor finds them by these words: all of it
    ("full": the actor sees every profile in full), the public part alone ("public": no word of the query
    is in anyone's personal part, the usual case), or it depends on the profile ("mixed")."""
    if policy.sees_every_profile_in_full(actor):
        return "full"
    return "mixed" if textindex.PROFILES.any_personal(session, words) else "public"


def _profile_text(session: Session, actor: Actor, words: list[str], scope: str | None = None) -> Any:
    """The ids of the profiles whose text matches, as far as this actor may search it (a select); `scope`
    as `_text_scope` says, if already known."""
    dialect = textindex.dialect_of(session)
    scope = scope or _text_scope(session, actor, words)
    if scope != "mixed":
        return textindex.PROFILES.matching(dialect, words, scope)
    sees_personal = policy.personal_profiles_clause(actor, Profile.desk_id, Profile.person_id,
                                                    Profile.consent_to_share)
    public = textindex.PROFILES.matching(dialect, words, "public")
    # One IN over a UNION, not an OR of two INs: the database then starts from the matching ids instead
    # of testing every profile; and only the profiles that match thanks to their personal words are
    # looked up to see whether the actor may see them.
    only_personal = except_(textindex.PROFILES.matching(dialect, words, "full"), public)
    personal = select(Profile.id).where(Profile.id.in_(only_personal.scalar_subquery()), sees_personal)
    return union(public, personal)


def _any_bit(column: Any, codes: Sequence[str], bits: dict[str, int], listed: bool = False) -> ColumnElement[bool]:
    """The mask `column` has the bit of one of these codes at least. `listed`: written as the list of the
    masks of the vocabulary's bits that have one (`IN (1, 3, 5, ...)`), which a B-tree index of the column
    answers where a bit test reads every row (masks only ever hold the vocabulary's bits)."""
    mask = 0
    for code in codes:
        mask |= bits.get(code, 0)
    if listed:
        every = 2 * max(bits.values()) - 1
        return column.in_([m for m in range(1, every + 1) if m & mask])
    return column.op("&")(mask) != 0


def search_profiles(session: Session, actor: Actor, query: ProfileQuery, lang: str = DEFAULT_LANGUAGE,
                    facets: bool = True) -> SearchResult:
    require_reader(actor)
    textindex.ensure_indexes(session)
    sqlite = textindex.dialect_of(session) == "sqlite"
    words = query_words(query.text)
    scope = _text_scope(session, actor, words) if words else None
    matched = _profile_text(session, actor, words, scope) if words else None
    own_filters = _profile_filters(query)
    sets, filters = _profile_sets(session, actor, query, matched), own_filters + [_listed(actor)]
    joined = not sqlite and _join_sets(query)
    where = [Profile.id.in_(ids) for ids in sets] if joined else _in_sets(session, sets)
    where += filters
    counted = where
    if sets and (query.regions or query.provinces) and sqlite:
        # A text (or skill) and a territory: SQLite would look up every match of the text, wherever it is,
        # to count the facets. `id + 0` is no index, so it reads the territory's slice of the covering
        # facet index instead and tests each entry against the matches: bounded by the territory, not by
        # how common the word is (several times faster for a common word in a region).
        counted = [(Profile.id + 0).in_(ids) for ids in sets] + filters
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    offset = (page - 1) * per_page
    found: dict[str, list[FacetValue]] = {}
    competences: dict[str, list[tuple[str, int, str, str | None]]] = {}
    _without_jit(session)
    if facets:
        if not sets and not own_filters:  # the whole databank, as far as listed to this actor
            counts, keys = _databank_counts(session, actor)
            total = sum(counts["region"].values())
            page_ids = _page_ids(session, where, query.sort, per_page, offset)
        elif not sqlite and (words and scope != "mixed" or not words and (query.occupations or query.skills)):
            # PostgreSQL, a text or competences (by their codes): the matches filtered and counted from the
            # search rows that their indexes find
            on_rows = [*([textindex.PROFILES.search_rows_match(words, scope)] if words else []),
                       *_coded_competences(session, query),
                       *_profile_filters(query, SEARCH_ROWS), _listed(actor, SEARCH_ROWS)]
            counts, total, keys, page_ids = _profile_summary(session, on_rows, query.sort, per_page, offset,
                                                             SEARCH_ROWS)
        elif sqlite and _counted_in_one_pass(query, bool(words), bool(sets)):
            counts, total, keys = _profile_counts_in_index(session, counted,
                                                           sliced=bool(query.regions or query.provinces or query.desks))
            ordered = matched if words else _with_skill(query) if sets else None  # the page read in its order
            page_ids = _first_ids(session, query.sort, where, ordered, per_page, offset) if total else []
        else:  # one statement: the matching profiles are found once for every count and the page
            counts, total, keys, page_ids = _profile_summary(session, counted, query.sort, per_page, offset)
        found = _profile_facets(session, counts, lang)
        for name, model in COMPETENCES.items():
            competences[name] = _competence_labels(session, model, keys[name])
        return _profile_page(session, actor, lang, total, page, per_page, page_ids, found, competences)
    total = session.scalar(select(func.count()).select_from(Profile).where(*where)) or 0
    page_ids = _first_ids(session, query.sort, where, matched if sqlite else None, per_page, offset) if total else []
    return _profile_page(session, actor, lang, total, page, per_page, page_ids, found, competences)


def _first_ids(session: Session, sort: str, where: list[ColumnElement[bool]], matched: Any, limit: int,
               offset: int) -> list[int]:
    """The ids of a page of results, in the order asked, without counting them (see `_latest`)."""
    if sort != "experience":  # (plain Core results: ids need no ORM)
        return list(session.connection().execute(_latest(where, matched, where[1:]).limit(limit).offset(offset))
                    .scalars())
    return _page_ids(session, where, sort, limit, offset)


def _counted_in_one_pass(query: ProfileQuery, words: bool, sets: bool) -> bool:
    """SQLite: whether the facets are counted in one pass over the matching profiles and the page read apart
    (`_profile_counts_in_index`), rather than the matches copied aside for both (`_profile_summary`): for
    filters alone (their page is read in the order of the ids, up to its end), and for a text in a territory
    (the facet index's slice of the territory is read in the groups' order, and the page in the words'
    index's order). Not for a page by experience; not for competences without a text (their page would
    look every match up again); not for years or dates with a text in a territory (the slice lacks them);
    a text alone gains nothing (measured: 0.98x). One skill without a text (nor occupations, nor a level):
    its page is read in the order of the skill's index (`_with_skill`); with a level, or several skills, each
    page's profile would be tested row by row (measured slower)."""
    if query.sort == "experience":
        return False
    if not sets:
        return True
    if (query.regions or query.provinces) and (query.min_years is not None or query.available_by is not None):
        return False
    if words:
        return bool(query.regions or query.provinces)
    return len(query.skills) == 1 and not query.min_skill_level and not query.occupations


def _with_skill(query: ProfileQuery) -> Select[Any]:
    """SQLite: the ids of the profiles with the search's skill, in the order of the skills' index (`key`,
    `profile_id`), for `_latest` to read a page from: it stops at the page's end instead of looking every
    match up and sorting them. (A profile lists a skill once: `operations.values` refuses a second.)"""
    return select(ProfileSkill.profile_id.label("rowid")).where(ProfileSkill.key == query.skills[0])


def _profile_counts_in_index(session: Session, where: list[ColumnElement[bool]], sliced: bool
                             ) -> tuple[dict[str, dict[Any, int]], int, dict[str, list[tuple[str, int]]]]:
    """SQLite, when `_counted_in_one_pass`: the facet counts, the total and the most frequent occupations and
    skills of the profiles matching `where`, in one pass over them, with their lists of codes joined per
    group of facets; where a territory or desks are chosen (`sliced`), the facet index's slice lists them in
    the order of the groups, which then need no sort; elsewhere their values are sent as texts
    (`_facet_texts`). `_profile_summary` copies the matches aside first (whole searches, interleaved: a
    desk's 11,000 profiles 0.56x the time, a word in a region 0.90x). The page is read apart (`_first_ids`)."""
    columns = PROFILE_FACETS[:-1]
    joined = {name: PROFILE_ROWS.c[CODE_LISTS[name]] for name in COMPETENCES}
    if sliced:
        parts, read = _facet_parts(PROFILE_ROWS, where, columns, {"chain_mask": CHAIN_BITS}, joined=joined)
    else:  # nothing lists them in the groups' order: their values sent as texts, as `_facet_texts` does
        parts, read = _facet_texts(PROFILE_ROWS, columns, CHAIN_BITS, where, joined)
    counts, others = read(session.connection().execute(union_all(*parts) if len(parts) > 1 else parts[0]))
    return counts, sum(counts["region"].values()), _top_of_joined_codes(session, others, len(columns))


def _top_of_joined_codes(session: Session, others: dict[int, list[tuple[Any, int]]], after: int
                         ) -> dict[str, list[tuple[str, int]]]:
    """SQLite: the most frequent occupations and skills (key, count) from their lists of codes joined into
    one text each, the branches numbered after the `after` facet columns' (`joined` of `_facet_parts`,
    `_facet_texts`)."""
    keys = {}
    for number, name in enumerate(COMPETENCES, after + 1):
        found = others.get(number, [])
        keys[name] = _top_codes(session, _count_codes(found[0][0] if found else None))
    return keys


def _page_ids(session: Session, where: list[ColumnElement[bool]], sort: str, limit: int, offset: int) -> list[int]:
    return list(session.connection().execute(select(Profile.id).where(*where).order_by(
        *_profile_order(sort, Profile.__table__)).limit(limit).offset(offset)).scalars())


def _profile_page(session: Session, actor: Actor, lang: str, total: int, page: int, per_page: int,
                  page_ids: list[int], found: dict[str, list[FacetValue]],
                  competences: dict[str, list[tuple[str, int, str, str | None]]]) -> SearchResult:
    """The result: the page's profiles as records, the facets with the occupations' and skills' labels."""
    rows = _listed_profiles(session, page_ids)
    # one look-up of ESCO labels for the facets and the page together
    uris = [c.esco_uri for p in rows for c in [*p.occupations, *p.skills] if c.esco_uri]
    uris += [uri for counts in competences.values() for *_, uri in counts if uri]
    labels = esco.preferred_labels(session, uris, lang)
    for name, counts in competences.items():
        found[name] = [FacetValue(key, labels.get(uri, (text,))[0] if uri else text, n)
                       for key, n, text, uri in counts]
    items = [profile_record(p, profile_access(actor, p) or "limited", lang, labels) for p in rows]
    return SearchResult(total, page, per_page, items, found)


def _databank_counts(session: Session, actor: Actor
                     ) -> tuple[dict[str, dict[Any, int]], dict[str, list[tuple[str, int]]]]:
    """The facet counts of every profile listed to this actor, and the most frequent occupations and
    skills (key, count): the counts of the whole databank that triggers keep (`FacetCount`), less those of
    the profiles whose processing stopped that the actor may not see (few, counted here)."""
    listed = _listed(actor)
    hidden = list(session.connection().execute(select(Profile.id).where(
        Profile.processing_stopped == true(), not_(func.coalesce(listed, false())))).scalars())
    columns = PROFILE_FACETS
    counts: dict[str, dict[Any, int]] = {c: {} for c in columns}
    less = _counts_by_value(session, Profile, columns, [Profile.id.in_(hidden)]) if hidden else {c: {} for c in columns}
    for facet, value, n in session.connection().execute(
            select(FacetCount.facet, FacetCount.value, FacetCount.n).where(FacetCount.facet.in_(columns))):
        value = int(value or 0) if facet == "chain_mask" else value
        counts[facet][value] = n - less[facet].get(value, 0)
    keys: dict[str, list[tuple[str, int]]] = {}
    for name, model in COMPETENCES.items():
        gone = dict(session.connection().execute(
            select(model.key, func.count()).where(model.profile_id.in_(hidden)).group_by(model.key)).all()) \
            if hidden else {}
        # the best after the subtraction are among the FACET_TOP + len(gone) best before it
        best = session.connection().execute(
            select(FacetCount.value, FacetCount.n).where(FacetCount.facet == name, FacetCount.n > 0)
            .order_by(FacetCount.n.desc(), _bytewise(session, FacetCount.value)).limit(FACET_TOP + len(gone)))
        ranked = sorted(((key, n - gone.get(key, 0)) for key, n in best), key=lambda kv: (-kv[1], kv[0]))
        keys[name] = [(key, n) for key, n in ranked if n > 0][:FACET_TOP]
    return counts, keys


def _bytewise(session: Session, column: Any) -> Any:
    """The column compared as SQLite compares text (byte by byte), on either database."""
    return column.collate("C") if textindex.dialect_of(session) == "postgresql" else column


def _profile_order(sort: str, rows: Any) -> list[Any]:
    """The order of the results, on the profiles' columns or a selection of them: the latest first, or the
    most experienced."""
    if sort != "experience":
        return [rows.c.id.desc()]
    return [func.coalesce(rows.c.years_experience, -1).desc(), rows.c.id.desc()]


def _profile_summary(session: Session, where: list[ColumnElement[bool]], sort: str, limit: int, offset: int,
                     rows: Any = PROFILE_ROWS
                     ) -> tuple[dict[str, dict[Any, int]], int, dict[str, list[tuple[str, int]]], list[int]]:
    """The facet counts, the total, the most frequent occupations and skills (key, count) and the page's ids
    of the profiles matching `where` (conditions on `rows`: the profiles or their search rows), from one
    statement. The matching profiles are found once (a
    materialized CTE that every part reads), not once per count: a text is looked up in its index once.
    The occupations and skills are counted exactly, over the whole result, from the lists of codes the
    matching profiles carry (read with them from the covering index, never from their rows): PostgreSQL
    counts them itself (a hash aggregate); SQLite, which would sort every code to group them, sends them
    back as one text, counted here (`_count_codes`), in the same pass as its facets (`_facet_texts`)."""
    columns = PROFILE_FACETS[:-1]
    sqlite = textindex.dialect_of(session) == "sqlite"
    lists = [rows.c[column] for column in CODE_LISTS.values()]
    # the experience only when the page is ordered by it: without it, SQLite reads a territory's slice of the
    # covering facet index alone, not each matching profile's row
    years = [rows.c.years_experience] if sort == "experience" else []
    matched = select(_id_of(rows).label("id"), *years, *[rows.c[c] for c in PROFILE_FACETS], *lists) \
        .where(*where).cte("matched")
    if sqlite:  # the facets and the lists of codes read in one pass over the matches
        matched = matched.prefix_with("MATERIALIZED")
        parts, read = _facet_texts(matched, columns, CHAIN_BITS,
                                   joined={name: matched.c[CODE_LISTS[name]] for name in COMPETENCES})
    else:
        parts, read = _facet_parts(matched, [], columns, {"chain_mask": CHAIN_BITS})
    pad = [NULL] * (len(parts[0].selected_columns) - 3)  # the facets' extra sums
    for number, name in enumerate(COMPETENCES if not sqlite else (), len(columns) + 1):
        listed = select(func.unnest(matched.c[CODE_LISTS[name]]).label("code")).subquery()
        counted = select(listed.c.code, func.count().label("n")).group_by(listed.c.code)
        top = _top_keys(session, counted.subquery()).subquery()
        parts.append(select(literal_column(str(number)), top.c.key, top.c.n, *pad))
    page = select(matched.c.id, *[matched.c.years_experience for _ in years]).order_by(*_profile_order(sort, matched)) \
        .limit(limit).offset(offset).subquery()
    # the position on the page, as the count: the rows of a UNION come in no set order
    on_page = len(columns) + len(COMPETENCES) + 1
    parts.append(select(literal_column(str(on_page)), cast(page.c.id, String),
                        func.row_number().over(order_by=_profile_order(sort, page)), *pad))
    counts, others = read(session.connection().execute(union_all(*parts)))
    if sqlite:
        keys = _top_of_joined_codes(session, others, len(columns))
    else:
        keys = {name: sorted(others.get(number, []), key=lambda kv: (-kv[1], kv[0]))
                for number, name in enumerate(COMPETENCES, len(columns) + 1)}
    page_ids = [int(value) for value, _ in sorted(others.get(on_page, []), key=lambda row: row[1])]
    return counts, sum(counts["region"].values()), keys, page_ids


# SQLite's facet values joined into one text (`_facet_texts`): control characters, which no facet value (codes
# of the gazetteer and the vocabulary, desks' identifiers) holds
_VALUE_END, _ROW_END, _NO_VALUE = "\x1f", "\x1e", "\x02"


def _facet_texts(rows: Any, columns: Sequence[str], bits: dict[str, int], where: Sequence[ColumnElement[bool]] = (),
                 joined: dict[str, Any] | None = None) -> tuple[list[Any], Any]:
    """SQLite: the counts of `_facet_parts` (per value of each column, per bit of the mask `chain_mask`) over
    `rows` matching `where`, from one branch that reads each row once: its values of the columns joined into
    one text, all these texts joined, counted here by Python's hash table. SQLite groups by sorting: sorting
    5,000 matches on five columns costs about three times what sending and counting their texts does.
    `joined` as `_facet_parts`' (its texts given as the other branches' would be, numbered after the columns),
    read in the same pass."""
    text = None
    for column in columns:
        value = func.ifnull(rows.c[column], literal_column("char(2)"), type_=String)
        text = value if text is None else text.concat(literal_column("char(31)")).concat(value)
    masks = [func.sum(rows.c.chain_mask.op("&")(bit)) for bit in bits.values()]
    lists = [func.group_concat(column) for column in (joined or {}).values()]
    parts = [select(literal_column("0"), func.group_concat(text, literal_column("char(30)")), func.count(), *masks,
                    *lists).where(*where)]

    def read(result: Any) -> tuple[dict[str, dict[Any, int]], dict[int, list[tuple[Any, int]]]]:
        out: dict[str, dict[Any, int]] = {c: {} for c in [*columns, "chain_mask"]}
        others: dict[int, list[tuple[Any, int]]] = {}
        for facet, value, n, *summed in result:
            if facet:
                others.setdefault(facet, []).append((value, int(n)))
                continue
            summed, texts = summed[:len(bits)], summed[len(bits):]
            for number, listed in enumerate(texts, len(columns) + 1):
                others[number] = [(listed, 0)]
            for bit, total in zip(bits.values(), summed):
                out["chain_mask"][bit] = int(total or 0) // bit
            for row, count in Counter(value.split(_ROW_END) if value else ()).items():
                for column, found in zip(columns, row.split(_VALUE_END)):
                    found = None if found == _NO_VALUE else found
                    out[column][found] = out[column].get(found, 0) + count
        return out, others

    return parts, read


def _count_codes(lists: str | None) -> dict[int, int]:
    """How many times each code appears in SQLite's lists of codes (JSON arrays, or JSON null for a profile
    written without its lists) joined by commas: "[3,5],[5],[],null" -> {3: 1, 5: 2}. Counted by Python's hash
    table: SQLite would sort them."""
    counts: dict[int, int] = {}
    if lists:
        for code, n in Counter(lists.replace("[", "").replace("]", "").split(",")).items():
            if code.strip().isdigit():
                counts[int(code)] = counts.get(int(code), 0) + n
    return counts


def _top_codes(session: Session, counts: dict[int, int]) -> list[tuple[str, int]]:
    """(key, count) of the FACET_TOP most frequent codes, ties in the order of the keys (as `_top_keys`):
    the keys are looked up for the codes that may be among them (every code tied with the last one)."""
    if not counts:
        return []
    least = sorted(counts.values(), reverse=True)[:FACET_TOP][-1]
    candidates = [code for code, n in counts.items() if n >= least]
    keys = session.connection().execute(select(CompetenceCode.code, CompetenceCode.key)
                                        .where(CompetenceCode.code.in_(candidates))).all()
    return sorted(((key, counts[code]) for code, key in keys), key=lambda kv: (-kv[1], kv[0]))[:FACET_TOP]


def _latest(where: list[ColumnElement[bool]], matched: Any, besides_text: list[ColumnElement[bool]]) -> Any:
    """The ids of the results, the latest first. On SQLite, when the text's matches (`matched`) come from
    the full-text index alone (or the first skill's, `_with_skill`: any select of ids named `rowid`, the
    first of the sets in `where`), from a join on it in its own descending order, with the other conditions
    (`besides_text`): it stops at the LIMIT instead of listing every match first."""
    if not isinstance(matched, Select):
        return select(Profile.id).where(*where).order_by(Profile.id.desc())
    found = matched.subquery()
    return select(Profile.id).join(found, found.c.rowid == Profile.id).where(*besides_text) \
        .order_by(found.c.rowid.desc())


PROFILE_FACETS = ("region", "province", "availability", "mobility", "desk_id", "chain_mask")
COMPETENCES = {"occupation": ProfileOccupation, "skill": ProfileSkill}  # facet -> the rows it counts
CODE_LISTS = {"occupation": "occupation_codes", "skill": "skill_codes"}  # facet -> the profiles' list of its codes


# What a page of profiles reads: every column of the profile but the lists of codes, and of its occupations
# and skills what a record shows. Built once (their values are bound when run): a page is read on every
# search, and building and keying these statements each time cost more than reading the rows.
PAGE_COLUMNS = [c for c in Profile.__table__.c if c.name not in CODE_LISTS.values()]
COMPETENCE_COLUMNS = ("profile_id", "key", "esco_uri", "label", "level", "years")
_PAGE_NAMES = [c.name for c in PAGE_COLUMNS]
_COMPETENCE_LISTS = [f"{name}s" for name in COMPETENCES]  # a profile's list of each kind of row ("occupations", ...)
_PAGE_IDS = bindparam("ids", expanding=True)
_PAGE_PROFILES = select(*PAGE_COLUMNS).where(Profile.id.in_(_PAGE_IDS))
_COMPETENCE_ROWS = union_all(*[
    select(literal_column(str(number)).label("kind"), *[model.__table__.c[c] for c in COMPETENCE_COLUMNS],
           model.position, model.id).where(model.profile_id.in_(_PAGE_IDS))
    for number, model in enumerate(COMPETENCES.values())]).subquery()
# in each profile's order of its rows (their position), as the profile's relationships load them
_PAGE_COMPETENCES = select(*[_COMPETENCE_ROWS.c[c] for c in ("kind", *COMPETENCE_COLUMNS)]).order_by(
    _COMPETENCE_ROWS.c.kind, _COMPETENCE_ROWS.c.profile_id, _COMPETENCE_ROWS.c.position, _COMPETENCE_ROWS.c.id)


def _listed_profiles(session: Session, ids: list[int]) -> list[SimpleNamespace]:
    """The profiles with these ids, in this order, as plain values with their occupations and skills (what
    `profile_record` and `profile_access` read): two statements of plain rows, no ORM objects to build and
    track for a page that only shows them."""
    if not ids:
        return []
    if session.autoflush:  # as the ORM's query did: the page shows what this session has changed
        session.flush()
    connection = session.connection()
    found = {}
    for row in connection.execute(_PAGE_PROFILES, {"ids": ids}).tuples():
        profile = SimpleNamespace(**dict(zip(_PAGE_NAMES, row)), occupations=[], skills=[])
        profile.supply_chains = codes_of(profile.chain_mask or 0, CHAIN_BITS)
        found[profile.id] = profile
    for kind, *values in connection.execute(_PAGE_COMPETENCES, {"ids": ids}).tuples():
        owner = found.get(values[0])
        if owner is not None:
            getattr(owner, _COMPETENCE_LISTS[kind]).append(SimpleNamespace(**dict(zip(COMPETENCE_COLUMNS, values))))
    return [found[i] for i in ids if i in found]


def _profile_facets(session: Session, counts: dict[str, dict[Any, int]], lang: str) -> dict[str, list[FacetValue]]:
    places = gazetteer()
    return {
        "region": _facet(counts["region"], lambda c: places.name(c, lang)),
        "province": _facet(counts["province"], lambda c: places.name(c, lang)),
        "availability": _facet(counts["availability"], lambda c: label("availability", c, lang)),
        "mobility": _facet(counts["mobility"], lambda c: label("mobility", c, lang)),
        "supply_chain": _facet(_bits(counts["chain_mask"], CHAIN_BITS), lambda c: label("supply_chain", c, lang)),
        "desk": _facet(counts["desk_id"], _desk_names(session, counts["desk_id"])),
    }


def _top_keys(session: Session, counted: Any) -> Select[Any]:
    """(key, count) of the FACET_TOP most frequent of these counts per code, ties in the order of the keys:
    the keys looked up for the codes counted (a few hundred at most), not for every row."""
    return select(CompetenceCode.key, counted.c.n).join(CompetenceCode, CompetenceCode.code == counted.c.code) \
        .order_by(counted.c.n.desc(), _bytewise(session, CompetenceCode.key)).limit(FACET_TOP)


def _competence_labels(session: Session, model: Any, counts: Sequence[tuple[str, int]]
                       ) -> list[tuple[str, int, str, str | None]]:
    """(key, count, a label, ESCO URI) of these counted keys: free-text keys take the label of their first
    entry (ESCO URIs are labelled in the reader's language later)."""
    free = [key for key, _ in counts if key.startswith("text:")]
    texts: dict[str, str] = {}
    if free:
        first = select(func.min(model.id)).where(model.key.in_(free)).group_by(model.key)
        texts = dict(session.execute(select(model.key, model.label).where(model.id.in_(first.scalar_subquery()))).all())
    return [(key, n, texts.get(key, key[5:]), None if key.startswith("text:") else key) for key, n in counts]


# --- resources ---------------------------------------------------------------------------------------

def resource_conditions(session: Session, query: ResourceQuery) -> list[ColumnElement[bool]]:
    conditions = _among((Resource.category, query.categories), (Resource.region, query.regions),
                        (Resource.province, query.provinces), (Resource.condition, query.conditions),
                        (Resource.status, query.statuses), (Resource.desk_id, query.desks))
    words = query_words(query.text)
    if words:
        conditions.append(textindex.RESOURCES.condition(textindex.dialect_of(session), words))
    # PostgreSQL: the masks as lists of values, which the covering index of the masks answers
    listed = textindex.dialect_of(session) == "postgresql"
    if query.supply_chains:
        conditions.append(_any_bit(Resource.chain_mask, query.supply_chains, CHAIN_BITS, listed))
    if query.offers:
        conditions.append(_any_bit(Resource.offer_mask, query.offers, OFFER_BITS, listed))
    if query.min_surface is not None:
        conditions.append(Resource.surface_m2 >= query.min_surface)
    if query.max_surface is not None:
        conditions.append(Resource.surface_m2 <= query.max_surface)
    if query.size_bands:
        bands = [_band_condition(code) for code in query.size_bands]
        conditions.append(or_(*bands))
    if query.available_by is not None:
        conditions.append(or_(Resource.available_from.is_(None), Resource.available_from <= query.available_by))
    if query.published_only:
        conditions.append(Resource.published.is_(True))
    return conditions


def _band_condition(code: str) -> ColumnElement[bool]:
    if code == "unknown":
        return Resource.surface_m2.is_(None)
    for name, low, high in SIZE_BANDS:
        if name == code:
            lower = Resource.surface_m2 >= low
            return lower if high is None else and_(lower, Resource.surface_m2 < high)
    return false()


def search_resources(session: Session, actor: Actor | None, query: ResourceQuery, lang: str = DEFAULT_LANGUAGE,
                     facets: bool = True) -> SearchResult:
    """Resources for the operators (every desk's). The public catalogue goes through `databank.public`."""
    if actor is not None:
        require_reader(actor)
    return resource_search(session, query, lang, facets, with_desks=True,
                           record=lambda r: resource_record(r, lang),
                           options=[selectinload(Resource.files), selectinload(Resource.links)])


def resource_search(session: Session, query: ResourceQuery, lang: str, facets: bool, with_desks: bool,
                    record: Any, options: list[Any]) -> SearchResult:
    textindex.ensure_indexes(session)
    _without_jit(session)
    where = resource_conditions(session, query)
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    offset = (page - 1) * per_page
    found: dict[str, list[FacetValue]] = {}
    if facets:
        found, total = resource_facets(session, where, lang, with_desks, _kept_counts_of(session, query, where))
    else:
        total = session.scalar(select(func.count()).select_from(Resource).where(*where)) or 0
    words = query_words(query.text)
    if query.sort != "surface" and words and textindex.dialect_of(session) == "sqlite":
        # the latest matches of the text from the full-text index in its own order (see `_latest`)
        found_ids = textindex.RESOURCES.matching("sqlite", words).subquery()
        besides_text = resource_conditions(session, replace(query, text=""))
        listed = select(Resource).join(found_ids, found_ids.c.rowid == Resource.id).where(*besides_text) \
            .order_by(found_ids.c.rowid.desc())
    else:
        order = [Resource.id.desc()] if query.sort != "surface" else \
            [func.coalesce(Resource.surface_m2, -1).desc(), Resource.id.desc()]
        listed = select(Resource).where(*where).order_by(*order)
    rows = list(session.scalars(listed.limit(per_page).offset(offset).options(*options))) if total else []
    return SearchResult(total, page, per_page, [record(r) for r in rows], found)


def band_of(surface: float | None) -> str:
    """The size band of a surface, as `textindex.size_band_sql` computes it in SQL."""
    if surface is None:
        return "unknown"
    for name, low, high in SIZE_BANDS:
        if high is None or surface < high:
            return name
    return "unknown"


def _kept_counts_of(session: Session, query: ResourceQuery, where: list[ColumnElement[bool]]) -> str | None:
    """The prefix of the counts that triggers keep (`FacetCount`) of the resources `where` finds, if they
    are kept: those of the whole databank, or of the whole public catalogue (its first page); None: the
    matching resources are counted."""
    if not where:
        return textindex.ALL_RESOURCES
    beyond_catalogue = replace(query, statuses=(), published_only=False)
    if query.published_only and query.statuses == ("available",) and not resource_conditions(session, beyond_catalogue):
        return textindex.CATALOGUE
    return None


def resource_facets(session: Session, where: list[ColumnElement[bool]], lang: str, with_desks: bool = True,
                    kept: str | None = None) -> tuple[dict[str, list[FacetValue]], int]:
    """The facets of the resources `where` finds, and their number; `kept`: the prefix of their counts
    kept by triggers (`_kept_counts_of`), read instead of counting the resources."""
    columns = ("category", "status", "condition", "region", "province") + (("desk_id",) if with_desks else ())
    bands: dict[str, int] = {}
    if kept:
        counts = _kept_resource_counts(session, kept)
        bands = counts.pop("size_band")
    else:
        # One pass over the matching rows: masks as one sum per bit, size bands as counts below each bound.
        below = [high for _, _, high in SIZE_BANDS if high is not None]
        counts = _grouped(session, Resource, where, columns,
                          {"chain_mask": CHAIN_BITS, "offer_mask": OFFER_BITS},
                          {"known": Resource.surface_m2.is_not(None),
                           **{f"below {high}": Resource.surface_m2 < high for high in below}})
        under = 0
        for name, _, high in SIZE_BANDS:
            count_below = counts["known"][True] if high is None else counts[f"below {high}"][True]
            bands[name] = count_below - under
            under = count_below
    total = sum(counts["category"].values())
    bands["unknown"] = total - sum(n for name, n in bands.items() if name != "unknown")
    return _resource_facets(session, counts, bands, lang, with_desks), total


def _kept_resource_counts(session: Session, prefix: str) -> dict[str, dict[Any, int]]:
    """The counts per value of each resource column (and per size band) of the resources counted under
    `prefix`, as triggers keep them (`textindex.COUNT_SETS`)."""
    facets = textindex.resource_counts(prefix)
    counts: dict[str, dict[Any, int]] = {facet[len(prefix):]: {} for facet in facets}
    for facet, value, n in session.connection().execute(select(FacetCount.facet, FacetCount.value, FacetCount.n).where(
            FacetCount.facet.in_(list(facets)))):
        column = facet[len(prefix):]
        counts[column][int(value or 0) if column.endswith("_mask") else value] = n
    return counts


def _resource_facets(session: Session, counts: dict[str, dict[Any, int]], bands: dict[str, int], lang: str,
                     with_desks: bool) -> dict[str, list[FacetValue]]:
    places = gazetteer()
    facets = {
        "category": _facet(counts["category"], lambda c: label("category", c, lang)),
        "status": _facet(counts["status"], lambda c: label("status", c, lang)),
        "condition": _facet(counts["condition"], lambda c: label("condition", c, lang)),
        "region": _facet(counts["region"], lambda c: places.name(c, lang)),
        "province": _facet(counts["province"], lambda c: places.name(c, lang)),
        "supply_chain": _facet(_bits(counts["chain_mask"], CHAIN_BITS), lambda c: label("supply_chain", c, lang)),
        "offer": _facet(_bits(counts["offer_mask"], OFFER_BITS), lambda c: label("offer", c, lang)),
        "size_band": [FacetValue(code, label("size_band", code, lang), bands[code])
                      for code in [b[0] for b in SIZE_BANDS] + ["unknown"] if bands.get(code)],
    }
    if with_desks:
        facets["desk"] = _facet(counts["desk_id"], _desk_names(session, counts["desk_id"]))
    return facets


# --- shared ------------------------------------------------------------------------------------------

@contextmanager
def _groups_hashed(session: Session) -> Iterator[None]:
    """PostgreSQL: the facet counts of the statements run in this block group the matching rows by hashing
    them, never by sorting them. The resources matching a text are looked up as an array (`ANY(ARRAY(...))`)
    whose length the planner cannot know (it takes it for ten rows), so it would sort them to group them:
    for thousands of matches, sorting their text columns in the database's collation costs several times a
    hash (5,971 resources matching 'capannone carroponte': 33 ms → 23 ms for the statement). The search's
    other statements keep the planner's choice: an ordered page may rather read an index than sort."""
    if textindex.dialect_of(session) != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL enable_sort = off"))
    yield
    session.execute(text("SET LOCAL enable_sort TO DEFAULT"))  # not reached if a statement failed: nothing to undo


def _without_jit(session: Session) -> None:
    """PostgreSQL: no JIT compilation in this transaction. A search's statements add up to a cost above
    `jit_above_cost` and PostgreSQL would spend far longer (hundreds of ms) compiling them than running them."""
    if textindex.dialect_of(session) == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _grouped(session: Session, model: Any, where: list[ColumnElement[bool]], columns: Sequence[str],
             bit_sums: dict[str, dict[str, int]] | None = None,
             tallies: dict[str, ColumnElement[bool]] | None = None) -> dict[str, dict[Any, int]]:
    """Counts per value of each column over the rows matching `where` (see `_facet_parts`)."""
    parts, read = _facet_parts(model.__table__, where, columns, bit_sums, tallies)
    with _groups_hashed(session):
        return read(session.connection().execute(union_all(*parts)))[0]


def _facet_parts(rows: Any, where: list[ColumnElement[bool]], columns: Sequence[str],
                 bit_sums: dict[str, dict[str, int]] | None = None,
                 tallies: dict[str, ColumnElement[bool]] | None = None,
                 joined: dict[str, Any] | None = None) -> tuple[list[Any], Any]:
    """The branches of a UNION ALL counting per value of each column over `rows` matching `where`: one
    GROUP BY of the columns together (one pass over the rows), whose groups the database then adds up per
    column, so only the counts come back (tens of rows, not thousands of groups); and the reader of its
    result rows, which returns the counts and the rows of the other branches (by their facet number).

    Each branch gives (facet number, value, count, extras...): 0 the totals, 1.. the columns.
    `bit_sums` mask column name -> its bits: counted per bit, as {bit: rows with that bit}.
    `tallies` name -> a condition: counted as {True: rows where it holds}.
    `joined` name -> a column of text: its values joined by commas (SQLite's `group_concat`), one branch each,
    numbered after the columns', its text as the value."""
    cols = [rows.c[c] for c in columns]
    bit_sums, tallies = bit_sums or {}, tallies or {}
    bits = [(name, bit) for name, named_bits in bit_sums.items() for bit in named_bits.values()]
    # sum(mask & bit) / bit: the rows with that bit, with no CASE per row
    extras = [func.sum(rows.c[name].op("&")(bit)) for name, bit in bits]
    extras += [func.count(case((condition, 1))) for condition in tallies.values()]
    joined = joined or {}
    lists = [func.group_concat(column).label(f"j{i}") for i, column in enumerate(joined.values())]
    groups = select(*cols, func.count().label("n"), *[e.label(f"e{i}") for i, e in enumerate(extras)], *lists) \
        .where(*where).group_by(*cols).cte("facet_groups")
    # the first branch's value column is typed (a string), so both databases agree on the union's types
    parts = [select(literal_column("0").label("facet"), cast(NULL, String).label("value"),
                    func.sum(groups.c.n).label("n"), *[func.sum(groups.c[f"e{i}"]) for i in range(len(extras))])]
    for i, name in enumerate(columns, 1):
        parts.append(select(literal_column(str(i)), groups.c[name], func.sum(groups.c.n),
                            *[NULL] * len(extras)).group_by(groups.c[name]))
    for i, _name in enumerate(joined):
        parts.append(select(literal_column(str(len(columns) + 1 + i)), func.group_concat(groups.c[f"j{i}"]),
                            literal_column("0"), *[NULL] * len(extras)))

    def read(result: Any) -> tuple[dict[str, dict[Any, int]], dict[int, list[tuple[Any, int]]]]:
        out: dict[str, dict[Any, int]] = {c: {} for c in [*columns, *bit_sums]}
        others: dict[int, list[tuple[Any, int]]] = {}
        # int(): PostgreSQL sums counts as numeric
        for facet, value, n, *summed in result:
            if facet > len(columns):
                others.setdefault(facet, []).append((value, int(n)))
            elif facet:
                out[columns[facet - 1]][value] = int(n)
            else:
                for (name, bit), total in zip(bits, summed):
                    out[name][bit] = int(total or 0) // bit
                for name, total in zip(tallies, summed[len(bits):]):
                    out[name] = {True: int(total or 0)}
        return out, others

    return parts, read


def _counts_by_value(session: Session, model: Any, columns: Sequence[str],
                     where: Sequence[ColumnElement[bool]] = ()) -> dict[str, dict[Any, int]]:
    """Counts per value of each column over the whole table (or the rows matching `where`), from one GROUP
    BY of the columns together, summed up here (for columns with few values together, that an index lists
    in this order)."""
    cols = [getattr(model, c) for c in columns]
    out: dict[str, dict[Any, int]] = {c: {} for c in columns}
    for *values, n in session.connection().execute(select(*cols, func.count()).where(*where).group_by(*cols)):
        for name, value in zip(columns, values):
            out[name][value] = out[name].get(value, 0) + n
    return out


def _bits(counts: dict[int, int], bits: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for mask, n in counts.items():
        for code, bit in bits.items():
            if (mask or 0) & bit:
                out[code] = out.get(code, 0) + n
    return out


def _facet(counts: dict[Any, int], name_of: Any) -> list[FacetValue]:
    values = [FacetValue(code, name_of(code), n) for code, n in counts.items() if code not in (None, "") and n]
    return sorted(values, key=lambda v: (-v.count, v.code))


_DESK_NAMES = select(Desk.id, Desk.name).where(Desk.id.in_(bindparam("ids", expanding=True)))  # built once


def _desk_names(session: Session, counts: dict[Any, int]) -> Any:
    names = dict(session.connection().execute(_DESK_NAMES, {"ids": [c for c in counts if c]}).tuples().all())
    return lambda code: names.get(code, code)
