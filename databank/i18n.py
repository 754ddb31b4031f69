"""The databank's own messages (refusals, field problems, import reports, matching reasons).

Defined below in English, one `define(code, English text)` each, like the engine's (engine/i18n.py); their
Italian and French translations are `databank/translations/{it,fr}/LC_MESSAGES/databank.po`.
Codes not defined here are looked up in the engine's catalogue, so the databank can reuse its refusals.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from engine.i18n import DEFAULT_LANGUAGE, Catalogue, fill, format_day
from engine.i18n import message as engine_message
from engine.numbers import write_number


def _fmt_in(value: object, lang: str) -> str:
    """A parameter in the reader's notation: "2,5 km" in Italian and French, a day in words; measures ungrouped
    ("2400 m²"), as people type them in the databank's forms."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return write_number(value, lang)
    if isinstance(value, date):
        return format_day(value, lang)
    return str(value)


def message(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    text = MESSAGES.text(code, lang)
    if text is None:
        return engine_message(code, lang, **params)
    return fill(text, lang, params, lambda value: _fmt_in(value, lang))


MESSAGES = Catalogue("databank", Path(__file__).resolve().parent / "translations")
define = MESSAGES.define

# The messages: a code, then its English text.
# --- problems of one value (forms, import rows) -------------------------------------------------------------
define("value.required", "A value is required.")
define("value.too_long", "At most {max} characters ({length} given).")
define("value.not_integer", "'{value}' is not a whole number.")
define("value.not_number", "'{value}' is not a number.")
define("value.number_ambiguous", "'{value}' cannot be read with certainty: did you mean {suggestions}?")
define("value.out_of_range", "{value} is outside the range {min}–{max}.")
define("value.not_date", "'{value}' is not a date (write YYYY-MM-DD or DD/MM/YYYY).")
define("value.not_boolean", "'{value}' is neither yes nor no.")
define("value.unknown_code", "'{value}' is not one of: {known}.")
define("value.email", "'{value}' is not an e-mail address.")
define("value.phone", "'{value}' is not a phone number.")
define("value.nace", "'{value}' is not a NACE code (for example C30.11 or 30.11).")
define("value.language", "'{value}' is not a language code (it, fr, en...) with an optional level A1–C2.")
define("value.country", "'{value}' is not a country code (IT, FR...).")
define("value.unknown_region", "'{value}' is not a region of the cooperation area ({known}).")
define("value.unknown_province", "'{value}' is not a province or département of the cooperation area.")
define("value.province_region", "{province} is not in {region}.")
define("value.coordinates", "Give both latitude and longitude, or neither.")
define("value.unknown_esco", "'{value}' is not in the ESCO taxonomy loaded here.")
define("value.esco_kind", "'{value}' is an ESCO {found}, not an {expected}.")
define("value.duplicate", "'{value}' is listed twice.")
define("value.from_date_required", "Say from which date.")
define("value.unknown_desk", "There is no help desk '{value}'.")
define("value.unknown_case", "There is no case {value}.")
define("value.unknown_worker", "The worker {value} follows no case at a desk you serve.")
define("value.formula", "'{value}' looks like a spreadsheet formula; formulas are refused (write the value itself).")
define("value.unknown_field", "There is no field '{value}'.")
define("value.not_a_list", "A list is expected.")
define("value.status_via_case",
       "A reserved resource changes status through its case (release it or mark it taken there).")
define("value.status_reserved", "A resource becomes reserved only when an operator reserves it for a case.")

# --- refusals of operations ---------------------------------------------------------------------------------
define("databank.profile_not_found", "Profile {id} does not exist.")
define("databank.resource_not_found", "Resource {id} does not exist.")
define("databank.file_not_found", "File {id} does not exist.")
define("databank.entry_invalid", "Some values are not valid: {details}")
define("databank.stale",
       "This entry changed meanwhile (you saw version {expected}, it is now at version {actual}). Reload it and try "
       "again: nothing was changed.")
define("databank.resource_not_available", "This resource is {status}: it cannot be reserved.")
define("databank.not_reserved_for_case", "This resource is not reserved for case {case_id}.")
define("databank.file_type", "'{filename}' is not an accepted {kind} (it is {found}; accepted: {accepted}).")
define("databank.file_too_large", "'{filename}' is larger than {max_mb} MB.")
define("databank.file_name", "The file has no usable name.")
define("databank.no_desk", "No help desk can receive this message.")
define("not_allowed.databank_desk", "the entry belongs to another help desk.")
define("not_allowed.databank_role", "the databank is for operators of the help desks.")
define("not_allowed.own_profile", "a worker can only see and edit their own profile.")
define("not_allowed.worker_field", "a worker cannot change '{field}'.")

# --- import and export --------------------------------------------------------------------------------------
define("exchange.too_large", "The file is larger than {max_mb} MB.")
define("exchange.too_many_rows", "The file has {rows} rows; at most {max} can be imported at once.")
define("exchange.empty", "The file has no rows to import.")
define("exchange.format", "'{filename}' is neither a CSV nor an XLSX file.")
define("exchange.encoding",
       "The file is not UTF-8 text (unreadable byte at position {position}); save it as \"CSV UTF-8\" and try again.")
define("exchange.binary", "The file is not text: is it really a CSV file?")
define("exchange.csv_syntax", "The CSV file cannot be read at line {line}: {reason}.")
define("exchange.xlsx_unreadable", "The spreadsheet cannot be read ({reason}).")
define("exchange.unpacked_too_large", "The spreadsheet would unpack to more than {max_mb} MB: it cannot be imported.")
define("exchange.too_many_columns", "Row {row} has more than {max} cells: it cannot be imported.")
define("exchange.cell_too_long", "A cell of row {cell} is longer than {max} characters.")
define("exchange.too_slow", "The file takes longer than {seconds} seconds to read: split it into smaller files.")
define("exchange.extra_cells", "The row has values in {cells} columns, but the header names only {columns}.")
define("exchange.unknown_columns", "Unknown columns: {columns}. The columns are: {known}.")
define("exchange.missing_columns", "Missing columns: {columns}.")
define("exchange.duplicate_columns", "Columns given twice: {columns}.")
define("exchange.formula_cell", "The cell {cell} holds a formula; formulas are refused (paste the values instead).")
define("exchange.row_errors", "{count} row(s) have errors: nothing was imported.")
define("exchange.file_errors", "The file cannot be imported: nothing was changed.")
define("exchange.imported", "{created} created, {updated} updated.")
define("exchange.checked", "Checked: {created} would be created and {updated} updated. Nothing was written.")
define("exchange.row", "Row {row}, column {column}: {message}")
define("exchange.yes", "yes")
define("exchange.no", "no")
define("exchange.not_found", "There is no entry {value} that you may update.")

# --- ESCO import --------------------------------------------------------------------------------------------
define("esco.no_files", "No ESCO file (occupations_<language>.csv or skills_<language>.csv) in {directory}.")
define("esco.columns", "{file}: missing columns {columns} (is this the ESCO CSV download?).")
define("esco.concept_type", "{file}, line {line}: concept type '{found}', expected '{expected}'.")
define("esco.uri", "{file}, line {line}: '{uri}' is not an ESCO URI.")
define("esco.label", "{file}, line {line}: the preferred label is empty.")
define("esco.encoding", "{file} is not UTF-8 text.")
define("esco.kind.occupation", "occupation")
define("esco.kind.skill", "skill")

# --- matching reasons ---------------------------------------------------------------------------------------
define("reason.category_exact", "{category}, as needed")
define("reason.category_related", "{category} can stand in for {needed}")
define("reason.category_other", "{category} was not asked for")
define("reason.distance", "{km} km from {place}")
define("reason.same_municipality", "in {place}")
define("reason.same_province", "in the same province ({place})")
define("reason.same_region", "in the same region ({place})")
define("reason.same_country", "in the same country, another region")
define("reason.elsewhere", "far from {place}")
define("reason.no_location", "location not given")
define("reason.mobility", "willing to move ({mobility})")
define("reason.chains_shared", "supply chain: {chains}")
define("reason.chains_none", "no supply chain in common")
define("reason.skills", "{count} of the {total} skills needed: {skills}")
define("reason.skills_none", "none of the skills needed")
define("reason.occupations", "occupation: {occupations}")
define("reason.occupations_none", "none of the occupations needed")
define("reason.surface_ok", "{surface} m², at least the {needed} m² needed")
define("reason.surface_small", "{surface} m², less than the {needed} m² needed")
define("reason.surface_unknown", "surface not given")
define("reason.keywords", "mentions {words}")
define("reason.keywords_none", "does not mention {words}")
define("reason.offers", "offered for {offers}")
define("reason.offers_none", "not offered as needed ({offers})")
define("reason.available_now", "available now")
define("reason.available_from", "available from {date}")
define("reason.available_late", "available only from {date}")

# --- public catalogue ---------------------------------------------------------------------------------------
define("public.fewer_than", "fewer than {threshold}")
define("public.other", "other")
define("public.map_title", "Italy–France Maritime cooperation area: available resources")

# --- labels of the closed vocabularies (databank/vocabulary.py): vocabulary.<vocabulary>.<code> ---------------
define("vocabulary.supply_chain.nautical_shipbuilding", "Nautical and shipbuilding")
define("vocabulary.supply_chain.sustainable_tourism", "Innovative and sustainable tourism")
define("vocabulary.supply_chain.blue_green_biotech", "Blue and green biotechnologies")
define("vocabulary.supply_chain.blue_green_energy", "Blue and green renewable energies")
define("vocabulary.category.machine", "Machine")
define("vocabulary.category.equipment", "Equipment")
define("vocabulary.category.plant", "Plant")
define("vocabulary.category.industrial_area", "Industrial area")
define("vocabulary.category.shed", "Shed / warehouse")
define("vocabulary.category.other", "Other")
define("vocabulary.offer.sale", "Sale")
define("vocabulary.offer.rent", "Rent")
define("vocabulary.offer.free_loan", "Free loan")
define("vocabulary.condition.new", "New")
define("vocabulary.condition.good", "Good")
define("vocabulary.condition.fair", "Fair")
define("vocabulary.condition.poor", "Needs repair")
define("vocabulary.status.available", "Available")
define("vocabulary.status.reserved", "Reserved")
define("vocabulary.status.taken", "Taken")
define("vocabulary.owner_kind.firm", "Firm")
define("vocabulary.owner_kind.insolvency_administrator", "Insolvency administrator")
define("vocabulary.owner_kind.public_body", "Public body")
define("vocabulary.owner_kind.private", "Private owner")
define("vocabulary.owner_kind.other", "Other")
define("vocabulary.level.basic", "Basic")
define("vocabulary.level.intermediate", "Intermediate")
define("vocabulary.level.advanced", "Advanced")
define("vocabulary.level.expert", "Expert")
define("vocabulary.mobility.local", "Own municipality only")
define("vocabulary.mobility.province", "Within the province")
define("vocabulary.mobility.region", "Within the region")
define("vocabulary.mobility.country", "Anywhere in the country")
define("vocabulary.mobility.cross_border", "Across the border too")
define("vocabulary.availability.available", "Available now")
define("vocabulary.availability.from_date", "Available from a date")
define("vocabulary.availability.unavailable", "Not available")
define("vocabulary.size_band.lt_500", "under 500 m²")
define("vocabulary.size_band.500_2000", "500–2,000 m²")
define("vocabulary.size_band.2000_10000", "2,000–10,000 m²")
define("vocabulary.size_band.ge_10000", "10,000 m² and more")
define("vocabulary.size_band.unknown", "size not given")
