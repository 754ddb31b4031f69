"""Languages of the project and the engine's own messages.

Pathway and assessment files carry their own translations ({it, fr, en}). The texts the engine itself produces
(refusals, validation messages, timeline sentences) are defined below, one `define(code, English text)` each;
their Italian and French translations are the gettext catalogues `engine/translations/{it,fr}/LC_MESSAGES/
engine.po`, where the English text is the msgid and the code its msgctxt (README, "Languages": `make messages`).
"""
from __future__ import annotations

import gettext
import io
import os
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Mapping

LANGUAGES = ("it", "fr", "en")
DEFAULT_LANGUAGE = "en"
# Order in which a missing translation falls back.
FALLBACK = ("en", "it", "fr")
# The language of the texts written in the code: the msgids of the catalogues.
SOURCE_LANGUAGE = "en"


def localize(text: Mapping[str, str] | str | None, lang: str) -> str:
    """Pick `lang` from a localized text, falling back to another language rather than to nothing."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if text.get(lang):
        return text[lang]
    for other in FALLBACK:
        if text.get(other):
            return text[other]
    return next((v for v in text.values() if v), "")


def format_day(value: object, lang: str) -> str:
    """A date ('YYYY-MM-DD' or a date) as people of `lang` write it, e.g. 30 mag 2026 / 30 mai 2026 /
    30 May 2026; anything else unchanged."""
    from datetime import date

    from babel.dates import format_date

    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_date(day, "medium", locale={"en": "en_GB"}.get(lang, lang))


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The localized sentence for a message code, with its parameters filled in."""
    text = MESSAGES.text(code, lang)
    if text is None:
        return code + (" " + repr(params) if params else "")
    return fill(text, lang, params)


def fill(entry: Mapping[str, str] | str, lang: str, params: Mapping[str, object],
         fmt: Callable[[object], str] | None = None) -> str:
    """A localized template with its parameters filled in; a missing parameter stays visible as {name}."""
    fmt = fmt or (lambda value: _fmt_in(value, lang))
    return localize(entry, lang).format_map(_SafeDict({k: fmt(v) for k, v in params.items()}))


def megabytes(size: int) -> float:
    """A size in bytes as megabytes for a sentence (two decimals at most, never a bare 0 for a real file)."""
    return max(round(size / (1024 * 1024), 2), 0.01) if size else 0.0


def _fmt_in(value: object, lang: str) -> str:
    """A parameter as the reader writes it: decimals with their own separator (1,5 in Italian and French)."""
    if isinstance(value, float):
        from babel.numbers import format_decimal

        return format_decimal(value, format="#,##0.##", locale=lang)
    return _fmt(value)


def _fmt(value: object) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


class Catalogue(Mapping[str, Mapping[str, str]]):
    """Message codes and their texts: English defined in the code, the other languages read from the gettext
    catalogue `<directory>/<lang>/LC_MESSAGES/<domain>.po` the first time a text in that language is asked
    (through its compiled `.mo`, built next to it on first use and rebuilt when the `.po` is newer).

    A translation counts only while its msgid is still the English of its code: an English text changed in
    the code shows in English until the catalogue is updated and translated again, never with a stale text.
    """

    def __init__(self, domain: str, directory: Path) -> None:
        self.domain = domain
        self.directory = directory
        self._english: dict[str, str] = {}
        self._translations: dict[str, gettext.NullTranslations] = {}
        self._texts: dict[tuple[str, str], str | None] = {}  # (code, lang) -> text, as looked up once

    def define(self, code: str, english: str) -> None:
        if code in self._english:
            raise ValueError(f"the message code {code!r} is defined twice in the {self.domain} catalogue")
        self._english[code] = english
        self._texts.clear()  # (a code asked for before it was defined)

    def text(self, code: str, lang: str) -> str | None:
        """The text of `code` in `lang`, else in English; None for a code that is not defined. Kept once
        looked up (a page of search results names hundreds of labels: a dictionary, not gettext, each time)."""
        try:
            return self._texts[code, lang]
        except KeyError:
            found = self._texts[code, lang] = self._text(code, lang)
            return found

    def _text(self, code: str, lang: str) -> str | None:
        english = self._english.get(code)
        if english is None or lang == SOURCE_LANGUAGE:
            return english
        translations = self._translations.get(lang)
        if translations is None:
            translations = self._translations[lang] = self._load(lang)
        return translations.pgettext(code, english)

    def po_path(self, lang: str) -> Path:
        return self.directory / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def _load(self, lang: str) -> gettext.NullTranslations:
        po_path = self.po_path(lang)
        if lang not in LANGUAGES or not po_path.is_file():
            return gettext.NullTranslations()
        mo_path = po_path.with_suffix(".mo")
        try:  # the compiled catalogue, kept next to its source (like __pycache__) and rebuilt when older
            compile_catalogue(po_path, mo_path, lang)
            with mo_path.open("rb") as fh:
                return gettext.GNUTranslations(fh)
        except OSError:  # an installation nobody may write to: compile in memory, every start
            compiled = io.BytesIO()
            _write_mo(po_path, compiled, lang)
            compiled.seek(0)
            return gettext.GNUTranslations(compiled)

    def __getitem__(self, code: str) -> Mapping[str, str]:
        if code not in self._english:
            raise KeyError(code)
        return _Entry(self, code)

    def __iter__(self) -> Iterator[str]:
        return iter(self._english)

    def __len__(self) -> int:
        return len(self._english)


class _Entry(Mapping[str, str]):
    """One code's text in each language, as a localized text ({it, fr, en})."""

    def __init__(self, catalogue: Catalogue, code: str) -> None:
        self._catalogue = catalogue
        self._code = code

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return self._catalogue.text(self._code, lang) or ""

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


def compile_catalogue(po_path: Path, mo_path: Path, lang: str) -> None:
    """Compile a .po catalogue into the .mo file gettext reads (fuzzy entries left out), written atomically;
    nothing to do while the .mo is newer than the .po."""
    if mo_path.is_file() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return
    import tempfile  # only when a catalogue is compiled: a command that prints no message never is

    mo_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=f".{mo_path.stem}-")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_mo(po_path, out, lang)
        os.replace(tmp, mo_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_mo(po_path: Path, out: BinaryIO, lang: str) -> None:
    # Babel only when a catalogue must be compiled: the engine starts without it.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    write_mo(out, catalog, use_fuzzy=False)


MESSAGES = Catalogue("engine", Path(__file__).resolve().parent / "translations")
define = MESSAGES.define

# The messages: a code, then its English text.
# --- refusals of case operations ----------------------------------------------------------------------------
define("conflict",
       "This case changed meanwhile (you saw version {expected}, it is now at version {actual}). Reload it and try "
       "again: nothing was changed.")
define("case_not_found", "Case {case_id} does not exist.")
define("case_closed", "This case is closed ({outcome}); it can no longer be changed.")
define("case_on_hold", "This case is on hold; resume it first.")
define("case_not_on_hold", "This case is not on hold.")
define("not_allowed", "You are not allowed to do this: {reason}")
define("not_allowed.desk", "the case belongs to another help desk.")
define("not_allowed.role", "this needs one of the roles: {roles}.")
define("not_allowed.not_member", "you are not a member of this case.")
define("not_allowed.not_assigned", "you are not the mentor assigned to this case.")
define("not_allowed.other_member", "a worker can act only for themselves.")
define("not_allowed.not_party", "only the party of this case in the role '{role}' may do this.")
define("not_allowed.signing_link", "this signing link is not valid.")
define("reason_required", "Please give a reason.")
define("unknown_requirement", "The stage '{stage}' has no {kind} '{requirement}'.")
define("unknown_exit", "The stage '{stage}' has no exit '{exit}'.")
define("unknown_outcome", "'{outcome}' is not an outcome of this pathway.")
define("unknown_pathway", "There is no valid pathway '{pathway}'.")
define("unknown_desk", "There is no help desk '{desk}'.")
define("no_members", "A case needs at least one worker.")
define("group_too_small", "This pathway needs at least {min} workers.")
define("group_too_large", "This pathway takes at most {max} worker(s).")
define("duplicate_members", "The same worker is listed twice.")
define("member_required", "'{requirement}' is asked of each member: say for which member.")
define("not_a_member", "'{member}' is not a member of this case.")
define("already_ticked", "'{item}' is already ticked.")
define("not_ticked", "'{item}' is not ticked.")
define("already_signed", "You have already signed off '{signoff}' in this stage.")
define("signoff_complete", "'{signoff}' already has all the sign-offs it needs.")
define("decision_unknown", "'{decision}' is not a decision: approve, request changes or decline.")
define("decision_comment_required", "Say why in a comment: it is required to request changes or to decline.")
define("paper_not_allowed", "The pathway does not allow '{requirement}' to be recorded on paper.")
define("paper_evidence_required", "Attach the scanned document signed on paper: it is the evidence of '{requirement}'.")
define("party_role_unknown", "'{role}' is not a role of a party in this pathway (its parties' roles: {roles}).")
define("party_name_required", "Give the party's organisation and the name of its person.")
define("party_text_too_long", "A party's details are at most {limit} characters long.")
define("party_email_invalid", "The party's e-mail address is not valid.")
define("party_email_missing", "The party has no e-mail address to send the link to.")
define("party_not_found", "The case has no party {party}.")
define("party_wrong_role", "This sign-off is given by the party in the role '{role}'.")
define("signing_link_used", "This signing link has already been used.")
define("signing_link_expired", "This signing link has expired. Ask the help desk for a new one.")
define("signing_link_stale", "This signing link is no longer valid: the case has moved on. Ask the help desk for a new one.")
define("signoff_distinct", "'{signoff}' must be given by a different person than {other}.")
define("signoff_distinct.form_submitter", "the person who filled in the form")
define("signoff_distinct.case_opener", "the person who opened the case")
define("signoff_distinct.signoff", "whoever signed '{other}'")
define("stage_has_no_form", "The stage '{stage}' has no form.")
define("form_invalid", "The form has errors; nothing was saved.")
define("document_not_found", "Document {document} is not attached to this case.")
define("document_too_big", "The file is too big ({size} MB); '{requirement}' accepts at most {max} MB.")
define("document_empty", "The file is empty.")
define("document_type", "'{requirement}' accepts {types} files; this file is {found}.")
define("document_name", "The file name is not acceptable.")
define("exit_not_allowed", "This exit cannot be taken yet.")
define("reopen_not_visited",
       "The case can only be brought back to a stage it has already been through; '{stage}' is not one.")
define("switch_same_pathway", "The case already follows this pathway.")
define("reopen_referred", "This case was referred and goes on as case {case}: it cannot be reopened.")
define("reopen_closed_stage", "A closed case is reopened in its last stage, '{stage}'.")
define("signoff_request_not_signer", "{person} cannot be asked for '{signoff}': they cannot give it in this case.")

# --- why a stage cannot be left -----------------------------------------------------------------------------
define("missing.checklist", "Tick '{label}'.")
define("missing.checklist_member", "'{label}' is still missing for: {members}.")
define("missing.document", "Upload the document '{label}'.")
define("missing.document_member", "The document '{label}' is still missing for: {members}.")
define("missing.form", "Fill in the form '{label}'.")
define("missing.assessment", "The assessment '{label}' is still to be completed by: {members}.")
define("missing.signoff", "Sign-off '{label}' by {role}: {have} of {need} given.")
define("missing.condition", "Condition not met: {condition}.")
define("missing.status", "The case is {status}.")
define("missing.pathway_refuses", "The pathway '{pathway}' would not take this case: {reason}")
define("missing.pathway_unknown", "There is no valid pathway '{pathway}' to continue on.")

# --- form validation ----------------------------------------------------------------------------------------
define("form.required", "This field is required.")
define("form.type", "Expected {expected}.")
define("form.minimum", "Must be at least {limit}.")
define("form.maximum", "Must be at most {limit}.")
define("form.minLength", "At least {limit} characters.")
define("form.maxLength", "At most {limit} characters.")
define("form.enum", "Choose one of the proposed values.")
define("form.pattern", "The format is not valid.")
define("form.format", "Not a valid {format}.")
define("form.unknown_field", "Unknown field.")
define("form.invalid", "Invalid value.")
define("form.minItems", "Choose at least {limit}.")
define("form.maxItems", "Choose at most {limit}.")
define("type.string", "text")
define("type.integer", "a whole number")
define("type.number", "a number")
define("type.boolean", "yes or no")
define("type.array", "a list")
define("type.object", "a group of fields")

# --- statuses and timeline ----------------------------------------------------------------------------------
define("status.active", "active")
define("status.on_hold", "on hold")
define("status.closed", "closed")
define("event.case_opened", "{actor} opened the case on the pathway '{pathway}'.")
define("event.item_ticked", "{actor} ticked '{label}'{for_member}{on_behalf}.")
define("event.item_unticked", "{actor} unticked '{label}'{for_member}.")
define("event.document_attached", "{actor} uploaded '{filename}' as '{label}'{for_member}.")
define("event.document_removed", "{actor} removed the document '{filename}'.")
define("event.form_submitted", "{actor} filled in the form '{label}'.")
define("event.signed_off", "{actor} signed off '{label}'{on_behalf}.")
define("event.signoff_decided", "{actor} {decision} on '{label}'{on_behalf}: {comment}")
define("event.on_behalf", " on behalf of {person}, on paper (evidence #{evidence})")
define("event.party_added", "{actor} added {organisation} ({name}) as the party in the role '{role}'.")
define("event.party_removed", "{actor} removed {organisation} ({name}), party of the case.")
define("event.signing_link_sent", "{actor} sent {organisation} ({name}) a link to sign '{label}'.")
define("decision.approve", "approved")
define("decision.request_changes", "requested changes")
define("decision.decline", "declined")
define("event.advanced", "{actor} moved the case from '{from_stage}' to '{to_stage}' ({exit}).")
define("event.reopened", "{actor} brought the case back to '{to_stage}': {reason}")
define("event.reopened_closed", "{actor} reopened the case ({outcome}) in '{to_stage}': {reason}")
define("event.signoff_requested", "{actor} asked {person} for the sign-off '{label}'.")
define("event.signoffs_lapsed", "Sign-offs that no longer count: {signoffs}.")
define("event.put_on_hold", "{actor} put the case on hold: {reason}")
define("event.resumed", "{actor} resumed the case: {reason}")
define("event.closed", "{actor} closed the case with the outcome '{outcome}': {reason}")
define("event.switched", "{actor} moved the case to the pathway '{pathway}' (new case {new_case}): {reason}")
define("event.continued_from", "{actor} opened this case on '{pathway}', continuing case {previous_case}.")
define("event.migrated", "{actor} moved the case to revision {revision} of the pathway.")
define("event.members_changed", "{actor} changed the people of the case.")
define("event.reference_linked", "{actor} linked {label} to the case.")
define("event.reference_unlinked", "{actor} unlinked {label} from the case.")
define("event.assessment_submitted", "{actor} submitted the assessment '{label}'{for_member}.")
define("event.pathway_chosen", "{actor} recorded the choice of the pathway '{pathway}' ({agreement}): {reason}")
define("dossier.ticked", "ticked")
define("dossier.yes", "yes")
define("dossier.no", "no")
define("choice.agrees", "as recommended")
define("choice.differs", "different from the recommendation")
define("jobs_invalid", "Jobs are counted in whole numbers, 0 or more.")
define("choice_without_assessment",
       "Record the pathway choice after the assessment: no one of this case has submitted it yet.")
define("choice_stage_missing",
       "The pathway '{pathway}' has no stage '{stage}' to continue from; choose it at a stage both pathways share.")
define("unknown_assessment", "There is no assessment '{assessment}'.")
define("stage_has_no_assessment", "The stage '{stage}' asks for no assessment '{assessment}'.")
define("assessment_invalid", "Some answers are missing or not valid; nothing was submitted.")
define("already_submitted", "This assessment was already submitted.")
define("event.person_erased", "The personal data of a person of this case were erased.")
define("event.for_member", " for {member}")
define("cause.consent_withdrawn", "{member} withdrew the consent to the processing of their personal data; "
       "nothing more is done until it is given again")
define("cause.person_erased", "the personal data of its only worker were erased")
define("outcome.company_created", "company created")
define("outcome.coop_constituted", "cooperative constituted")
define("outcome.employed", "employed")
define("outcome.withdrawn", "withdrawn")
define("outcome.referred", "referred")
define("role.operator", "an operator")
define("role.mentor", "a mentor")
define("role.worker", "the worker")
define("role.designer", "a designer")
define("role.admin", "an administrator")

# --- problems in definition files (for methodology designers) -----------------------------------------------
define("problem.at", "at {path}")
define("problem.too_big", "the file is too big ({size} bytes; at most {max} bytes)")
define("problem.unreadable", "cannot read the file: {reason}")
define("problem.encoding_utf16", "the file is UTF-16; save it as UTF-8")
define("problem.encoding", "the file is not UTF-8 text (byte {byte}); save it as UTF-8")
define("problem.binary", "this is not a text file (it contains NUL bytes)")
define("problem.syntax", "YAML syntax error: {reason}")
define("problem.too_deep", "nested more than {max} levels deep")
define("problem.too_many_nodes", "the document has more than {max} elements (aliases included)")
define("problem.several_documents", "a file holds one document only (remove the extra '---')")
define("problem.merge_key", "YAML merge keys ('<<') are not supported; write the keys out or use shared stages")
define("problem.complex_key", "a key must be a plain word")
define("problem.duplicate_key", "the key '{key}' appears twice")
define("problem.tag", "the YAML tag {tag} is not allowed")
define("problem.not_a_number", "not a finite number")
define("problem.not_a_mapping", "the file must be a mapping of keys (id, version, title, stages...)")
define("problem.missing_key", "'{key}' is missing")
define("problem.unknown_key", "unknown key '{key}' (allowed here: {allowed})")
define("problem.unknown_key_suggest", "unknown key '{key}' (did you mean '{suggestion}'?)")
define("problem.wrong_type", "expected {expected}, found {found}")
define("problem.not_in_enum", "'{value}' is not one of: {allowed}")
define("problem.bad_pattern", "'{value}' is not well formed. {hint}")
define("problem.too_few", "needs at least {limit} element(s)")
define("problem.out_of_range", "'{value}' breaks the rule {rule}")
define("problem.not_unique", "the list has the same value twice")
define("problem.schema", "{reason}")
define("problem.fragment_name", "the fragment id '{id}' must match the file name '{file}'")
define("problem.unknown_fragment", "there are no shared stages '{fragment}' (known: {known})")
define("problem.broken_fragment", "the shared stages '{fragment}' have errors; fix that file first")
define("problem.fragment_next_missing",
       "the shared stages '{fragment}' continue with '$next', but nothing follows the include: add 'next: <stage>'")
define("problem.missing_translation", "translation missing in: {languages}")
define("problem.duplicate_role", "the role '{id}' is defined twice (or is a built-in role)")
define("problem.duplicate_outcome", "the outcome '{id}' is defined twice (or is a built-in outcome)")
define("problem.group_range", "min_members is greater than max_members")
define("problem.duplicate_stage", "there is already a stage '{id}'")
define("problem.reserved_stage_id", "'{id}' is reserved for case facts; choose another stage id")
define("problem.unknown_stage", "there is no stage '{stage}' (closest: {suggestion})")
define("problem.unknown_role", "unknown role '{role}' (known: {known}); declare it under 'roles'")
define("problem.paper_without_worker", "only an item a worker gives may be recorded on paper: add 'worker' to its roles, or remove 'on_paper'")
define("problem.paper_not_party", "a sign-off by '{role}' is given in the application, not on paper: 'on_paper' is for the roles the pathway declares")
define("problem.duplicate_requirement", "the stage already has a requirement '{id}' ('form' is the form's own id)")
define("problem.duplicate_field", "the form already has a field '{id}'")
define("problem.distinct_no_form", "'form_submitter' needs a form in this stage")
define("problem.distinct_unknown_signoff", "there is no other sign-off '{id}' in this stage")
define("problem.duplicate_exit", "the stage already has an exit '{id}'")
define("problem.exit_target", "an exit leads to exactly one of 'to', 'pathway' or 'outcome' (found: {found})")
define("problem.unknown_outcome", "unknown outcome '{outcome}' (known: {known}); declare it under 'outcomes'")
define("problem.exit_to_itself", "an exit cannot lead to the pathway it belongs to; use 'to' with a stage")
define("problem.unknown_pathway", "there is no pathway '{pathway}' (known: {known})")
define("problem.carry_without_pathway", "'carry' only makes sense on an exit to another pathway")
define("problem.unknown_requirement", "the stage has no requirement '{id}' (known: {known})")
define("problem.options_missing", "the field '{field}' needs 'options'")
define("problem.options_unexpected", "the field '{field}' is of type {type}: 'options' are only for choice and choices")
define("problem.key_for_type", "'{key}' does not apply to a field of type {type}")
define("problem.bad_regex", "the pattern is not a valid regular expression: {reason}")
define("problem.duplicate_option", "two options have the same value")
define("problem.condition_shape", "a condition is exactly one of: all, any, not, or field with one comparison")
define("problem.condition_operator",
       "the comparison on '{field}' needs exactly one of: eq, ne, lt, lte, gt, gte, in, contains, exists")
define("problem.condition_operator_without_field", "'{op}' compares a field: add 'field'")
define("problem.unknown_fact", "unknown case fact '{fact}' (known: {known})")
define("problem.unknown_field",
       "there is no form field '{field}' (closest: {suggestion}); write <stage>.<field> or case.<fact>")
define("problem.condition_type", "'{op}' cannot compare '{field}', which is {type}")
define("problem.condition_value", "'{field}' is {type}; '{value}' can never match")
define("problem.condition_option", "'{value}' is not an option of '{field}' (options: {known})")
define("problem.unreachable_stage", "the stage '{stage}' can never be reached from the start")
define("problem.no_way_out", "from the stage '{stage}' no outcome can ever be reached")
define("problem.unknown_assessment", "there is no assessment '{assessment}' (known: {known})")
define("problem.duplicate_dimension", "there is already a dimension '{id}'")
define("problem.unknown_area", "there is no area '{area}' (declare it under 'areas')")
define("problem.duplicate_question", "there is already a question '{id}'")
define("problem.unknown_dimension", "there is no dimension '{dimension}'")
define("problem.dimension_unscored", "no question scores the dimension '{dimension}'")
define("problem.rule_target", "a rule recommends exactly one of 'pathway' or 'supply_chain'")
define("problem.rule_pathway_unranked", "the pathway '{pathway}' is not listed under 'pathways'")
define("problem.assessment_name", "the assessment id '{id}' must match the file name '{file}'")
define("problem.duplicate_pathway", "another file ({other}) also defines the pathway '{id}'")
define("problem.pathway_name", "the pathway id '{id}' must match the file name '{file}'")
define("condition.exists", "{field} is filled in")
define("condition.absent", "{field} is empty")
define("condition.and", "and")
define("condition.or", "or")
define("condition.not", "not {condition}")
define("condition.yes", "yes")
define("condition.no", "no")

# --- changes between two revisions of a pathway -------------------------------------------------------------
define("change.version_changed", "version {before} → {after}")
define("change.title_changed", "title changed: {before} → {after}")
define("change.role_added", "role '{item}' added")
define("change.role_removed", "role '{item}' removed")
define("change.group_changed", "workers per case: {after} (was {before})")
define("change.distinct_signoffs_changed",
       "stage '{stage}': sign-offs no one person gives two of: {after} (was {before})")
define("change.start_changed", "the pathway now starts at '{after}' (was '{before}')")
define("change.stage_added", "stage '{stage}' added ({after})")
define("change.stage_removed", "stage '{stage}' removed ({before})")
define("change.stages_reordered", "stages reordered")
define("change.stage_title_changed", "stage '{stage}' renamed: {before} → {after}")
define("change.guidance_changed", "guidance of stage '{stage}' changed")
define("change.due_days_changed", "stage '{stage}': due in {after} days (was {before})")
define("change.requirement_added", "stage '{stage}': {kind} '{item}' added")
define("change.requirement_removed", "stage '{stage}': {kind} '{item}' removed")
define("change.requirement_changed", "stage '{stage}': {kind} '{item}' changed")
define("change.requirement_kind_changed", "stage '{stage}': '{item}' is now a {after} (was a {before})")
define("change.requirement_optionality_changed", "stage '{stage}': '{item}' required: {before} → {after}")
define("change.field_added", "stage '{stage}': form field '{item}' added")
define("change.field_removed", "stage '{stage}': form field '{item}' removed")
define("change.field_changed", "stage '{stage}': form field '{item}' changed")
define("change.exit_added", "stage '{stage}': exit '{item}' added (→ {after})")
define("change.exit_removed", "stage '{stage}': exit '{item}' removed (was → {before})")
define("change.exit_target_changed", "stage '{stage}': exit '{item}' now leads to {after} (was {before})")
define("change.exit_condition_changed", "stage '{stage}': condition of exit '{item}' changed: {before} → {after}")
define("change.exit_requires_changed", "stage '{stage}': exit '{item}' requires {after} (was {before})")
define("change.exit_label_changed", "stage '{stage}': exit '{item}' relabelled")
define("change.exit_carry_changed", "stage '{stage}': exit '{item}' carries {after} (was {before})")
define("migration.closed", "the case is closed")
define("migration.other_pathway", "the target revision belongs to another pathway")
define("migration.same_revision", "the case is already on this revision")
define("migration.unmapped", "the stage '{stage}' no longer exists: choose the stage to move the case to")
define("migration.unknown_target", "the new revision has no stage '{stage}'")
define("migration_refused", "This case cannot be migrated: {reason}.")
define("not_allowed.designer", "only methodology designers and administrators migrate cases.")

# --- workers' optional details (sex, year of birth) ---------------------------------------------------------
define("member_sex_invalid", "The sex of {member} must be female, male or other (or left empty), not '{sex}'.")
define("member_birth_year_invalid",
       "The year of birth of {member} must be between {min} and {max} (or left empty), not {year}.")

# --- a re-assessment and the assessment it is compared with (`compares_to`) ---------------------------------
define("problem.compares_to_itself",
       "the assessment '{assessment}' cannot be compared with itself: name the assessment it follows up (e.g. the "
       "intake)")


# --- `opera check`: where a problem is, then what it is (engine/check.py) ------------------------------------
define("check.place.event", "case {case}, event {seq}")
define("check.place.case", "case {case}")
define("check.place.state", "case {case} (after event {seq})")
define("check.place.audit", "audit log {type} {id}, entry {seq}")
define("check.place.file", "file {sha} ({table})")
define("check.place.database", "database")
define("check.gate_open",
       "the erasure gate was left open (a row in append_only_gate): the event and audit logs accept any change "
       "until it is emptied")
define("check.place.temporary", "temporary file {path}")
define("check.seq_gap", "out of sequence (expected number {expected})")
define("check.chain_broken",
       "its previous hash is not the hash of the entry before it: an entry was removed, inserted or rewritten")
define("check.event_rewritten", "its content does not match its hash: the event was rewritten")
define("check.entry_rewritten", "its content does not match its hash: the entry was rewritten")
define("check.no_opening", "its events do not begin with the opening of the case")
define("check.state_differs", "{what} is {stored}, the events say {replayed}")
define("check.file_missing", "a row refers to it but the file is missing")
define("check.file_size", "the file has {stored} bytes, its row says {expected}")
define("check.erased_file_kept", "the file of an erased document is still stored (`opera check --repair` deletes it)")
define("check.file_stray", "stored, but no row refers to it")
define("check.temporary_stale", "left behind by a write that did not finish")
define("check.summary",
       "{cases} cases, {events} events, {audit} audit entries, {files} files checked: {problems} problems")
define("check.repaired", "{count} files removed from the store")
# --- what `opera pathways sync` and `opera pathways export` did --------------------------------------------------
define("export.written", "{pathway}: revision #{revision} (version {version}) written to {file}")
define("sync.activated", "{file}: revision #{revision} (version {version}) is now the active one")
define("sync.forced",
       "{file}: revision #{revision} (version {version}) is now active, although revision #{active} had the "
       "higher version {active_version} (--force)")
define("sync.invalid", "{file}: INVALID, the last valid revision stays active")
define("sync.kept",
       "{file}: version {version} is lower than the active revision #{active} (version {active_version}, "
       "saved by {author}), which stays active; write it into the directory with 'opera pathways export "
       "{pathway}', or activate the file with --force")
define("sync.unchanged", "{file}: unchanged, revision #{revision} (version {version}) stays active")

# --- conditions in words: case facts, dates and expressions ------------------------------------------------------
define("condition.after", "{field} after {date}")
define("condition.before", "{field} before {date}")
define("expression.days_between", "the days from {first} to {second}")
define("expression.max", "the larger of {values}")
define("expression.min", "the smaller of {values}")
define("expression.percent", "{percent} % of {value}")
define("fact.country", "Country of the help desk")
define("fact.days_in_stage", "Days in this stage")
define("fact.desk", "Help desk")
define("fact.members", "Number of workers")
define("fact.region", "Region of the help desk")
define("fact.supply_chains", "Supply chains")
define("fact.today", "today")

# --- problems of conditions, adapted shared stages, ranges and exits to other pathways ---------------------------
define("problem.adapt_unknown_stage",
       "the shared stages '{fragment}' have no stage '{stage}' to adapt (they have: {known})")
define("problem.carry_not_in_target",
       "the pathway '{pathway}' has no stage '{stage}' with a form to receive the carried data (closest: "
       "{suggestion})")
define("problem.condition_compare_types",
       "'{op}' compares {left} with {right}: both sides must be numbers (or both dates, with before/after)")
define("problem.condition_empty_in", "'in' with an empty list: the condition on '{field}' can never hold")
define("problem.division_by_zero", "division by zero: the divisor is the number 0, so this condition could never hold")
define("problem.expression_date",
       "'{field}' is {type}: {function} needs dates (date fields, case.today, or 'YYYY-MM-DD')")
define("problem.expression_type",
       "'{field}' is {type}: {function} needs numbers (integer or number fields, case.members, "
       "case.days_in_stage)")
define("problem.impossible_range",
       "the field '{field}' can never be filled in: {low} ({low_value}) is greater than {high} "
       "({high_value})")
define("problem.never_recommended",
       "no intake rule ever recommends the pathway '{pathway}' (rules recommend only what {assessments} "
       "names): add it to 'pathways' and give it a rule in assessments/ (see 'Making a pathway "
       "recommendable' in the guide)")
define("problem.no_shared_stages",
       "there are no shared stages '{fragment}': none were found in {looked}; check the file inside the "
       "pathways directory, or point at its shared stages with --shared (e.g. --shared pathways/shared)")
define("problem.unknown_target_stage", "the pathway '{pathway}' has no stage '{stage}' (closest: {suggestion})")

# --- opening a case mid-way --------------------------------------------------------------------------------------
define("unknown_start_stage", "The pathway '{pathway}' has no stage '{stage}' to open the case at.")

# --- simulation steps in words -----------------------------------------------------------------------------------
define("simulation.action.advance", "takes the exit")
define("simulation.action.assess", "answers the questionnaire")
define("simulation.action.choose", "chooses the pathway")
define("simulation.action.close", "closes with")
define("simulation.action.hold", "puts on hold")
define("simulation.action.reopen", "reopens at")
define("simulation.action.resume", "resumes")
define("simulation.action.sign", "signs")
define("simulation.action.submit", "submits the form")
define("simulation.action.switch", "switches to")
define("simulation.action.tick", "ticks")
define("simulation.action.untick", "unticks")
define("simulation.action.upload", "uploads")
define("simulation.action.withdraw", "withdraws the case")
define("simulation.answers", "{count} answers")
define("simulation.invalid_step", "unknown action or person")
define("simulation.role.mentor", "Mentor")
define("simulation.role.operator", "Operator")
define("simulation.worker", "Worker {number}")

# --- what went wrong with the database (said by the command line), revisions named on it -----------------
define("database.busy",
       "The database stayed locked by another process (an import, an upgrade, another command...) for too "
       "long: what this command was doing was undone. Run it again when the other one has finished.")
define("database.not_initialised",
       "The database has no tables yet, or an older schema ({detail}): run 'opera db upgrade'.")
define("database.unreachable",
       "The database cannot be reached ({detail}): check OPERA_DATABASE_URL and that the database server is "
       "running.")
define("database.error", "The database refused the operation ({detail}).")
define("database.bad_url",
       "The database address is not valid ({detail}); for example sqlite:///instance/opera.sqlite or "
       "postgresql+psycopg://user@host/opera.")
define("cli.revision_unknown",
       "There is no revision {revision} in the database ('opera pathways sync' records the pathway files as "
       "revisions).")
define("cli.revision_of_other_pathway",
       "Revision {revision} is a revision of the pathway '{other}', not of '{pathway}'.")

# --- files named on the command line -------------------------------------------------------------------------
define("cli.file_error", "A file cannot be read or written: {detail}")
